package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.score.Scorer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Scorer} that answers {@code predict} record by record through a {@link FastPipeline}
 * when the bundle's pipeline compiles and passed its self-check at load, and through Spark's
 * {@code transform} otherwise: for unsupported stages, output columns the fast path does not make,
 * and any request holding a record Spark itself would fail on. {@code transform(Dataset)} (batch)
 * is always Spark's.
 */
public final class FastPathScorer implements Scorer {
    private static final Logger LOG = LoggerFactory.getLogger(FastPathScorer.class);
    private static final long SAMPLE_SEED = 20261125L;

    private final PipelineScorer spark;
    private final RecordValidator validator;
    private final FastPipeline fast;
    private final String status;
    private final AtomicLong fastRequests = new AtomicLong();
    private final AtomicLong sparkRequests = new AtomicLong();

    private FastPathScorer(PipelineScorer spark, RecordValidator validator, FastPipeline fast, String status) {
        this.spark = spark;
        this.validator = validator;
        this.fast = fast;
        this.status = status;
    }

    /** Loads the bundle's pipeline, compiles it and checks it on the bundle's sample records. */
    public static FastPathScorer load(SparkSession session, Bundle bundle) {
        PipelineScorer spark = PipelineScorer.load(session, bundle);
        List<Map<String, Object>> samples;
        try {
            samples = SampleRecords.read(bundle.directory()).orElse(null);
        } catch (RuntimeException e) {
            LOG.warn("unreadable {} in bundle {} (synthetic samples instead): {}", SampleRecords.FILE,
                    bundle.directory(), e.getMessage());
            samples = null;
        }
        if (samples == null) {
            samples = SampleRecords.synthetic(spark.metadata().inputSchema(), spark.model(),
                    SampleRecords.DEFAULT_COUNT, SAMPLE_SEED);
        }
        return create(spark, samples);
    }

    /** Wraps a loaded scorer: compiles its pipeline and checks it on the given sample records. */
    public static FastPathScorer create(PipelineScorer spark, List<Map<String, Object>> samples) {
        FastPathCompiler.Compilation compiled = FastPathCompiler.compile(spark.model(), spark.metadata().sparkSchema());
        BundleMetadata m = spark.metadata();
        if (!compiled.supported()) {
            LOG.info("fast path off: model={} version={} reason={}", m.name(), m.version(), compiled.refusal());
            return new FastPathScorer(spark, validator(spark), null, compiled.refusal());
        }
        return checked(spark, compiled.pipeline(), samples);
    }

    /** Checks a candidate pipeline (tests pass a sabotaged one) and enables it only if identical. */
    static FastPathScorer checked(PipelineScorer spark, FastPipeline candidate, List<Map<String, Object>> samples) {
        BundleMetadata m = spark.metadata();
        RecordValidator validator = validator(spark);
        long start = System.nanoTime();
        SelfCheck.Result check = SelfCheck.run(spark, validator, candidate, samples);
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (!check.passed()) {
            LOG.warn("fast path disabled: model={} version={} self-check against transform failed: {} (samples={} ms={})",
                    m.name(), m.version(), check.describe(), samples.size(), ms);
            return new FastPathScorer(spark, validator, null, "self-check failed: " + check.describe());
        }
        LOG.info("fast path on: model={} version={} self-check {} (samples={} ms={})", m.name(), m.version(),
                check.describe(), samples.size(), ms);
        return new FastPathScorer(spark, validator, candidate, "on: self-check " + check.describe());
    }

    private static RecordValidator validator(PipelineScorer spark) {
        return new RecordValidator(spark.metadata().inputSchema(), RecordValidator.Mode.JSON, false);
    }

    public boolean fastPathEnabled() {
        return fast != null;
    }

    /** "on: ...", the refusal of an unsupported stage, or the self-check's first difference. */
    public String fastPathStatus() {
        return status;
    }

    /** Requests answered by the fast path since load. */
    public long fastRequests() {
        return fastRequests.get();
    }

    /** Predict requests answered through Spark's transform since load (fast path off, or fallback). */
    public long sparkRequests() {
        return sparkRequests.get();
    }

    /** The Spark scorer underneath (file scoring and batch use it directly). */
    public PipelineScorer pipelineScorer() {
        return spark;
    }

    @Override
    public BundleMetadata metadata() {
        return spark.metadata();
    }

    @Override
    public List<String> availableOutputs() {
        return spark.availableOutputs();
    }

    public List<String> defaultOutputs() {
        return spark.defaultOutputs();
    }

    public List<String> resolveOutputs(List<String> requested) {
        return spark.resolveOutputs(requested);
    }

    public PipelineModel model() {
        return spark.model();
    }

    @Override
    public List<Map<String, Object>> predict(List<?> records, List<String> outputs) {
        List<String> columns = spark.resolveOutputs(outputs);
        if (fast == null || records == null || records.isEmpty() || !fast.covers(columns)) {
            sparkRequests.incrementAndGet();
            return spark.predict(records, outputs);
        }
        List<Object[]> rows = validator.convertAll(records);
        List<Map<String, Object>> predictions = new ArrayList<>(rows.size());
        try {
            for (Object[] values : rows) {
                predictions.add(fast.answer(fast.evaluate(values), columns));
            }
        } catch (Fallback e) {
            LOG.debug("fast path fallback to transform: model={} reason={}", spark.metadata().name(), e.getMessage());
            sparkRequests.incrementAndGet();
            return spark.predict(records, outputs);
        } catch (RuntimeException e) {
            // A fault of the fast path itself: never the caller's problem, Spark answers.
            LOG.warn("fast path failed, answering through transform: model={} version={} error={}",
                    spark.metadata().name(), spark.metadata().version(), e.toString());
            sparkRequests.incrementAndGet();
            return spark.predict(records, outputs);
        }
        fastRequests.incrementAndGet();
        return predictions;
    }

    @Override
    public Dataset<Row> transform(Dataset<Row> input) {
        return spark.transform(input);
    }

    /** The compiled pipeline when the fast path is on (file scoring runs it in Spark tasks), else null. */
    public FastPipeline fastPipeline() {
        return fast;
    }
}
