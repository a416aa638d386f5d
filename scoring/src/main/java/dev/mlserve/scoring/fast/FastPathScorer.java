package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.schema.TypedRecords;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.score.Scorer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.SparkContext;
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
    /** The Spark job group of the background check against transform (seen in logs and listeners). */
    public static final String VERIFY_JOB_GROUP = "mlserve-fastpath-verify";

    private final PipelineScorer spark;
    private final RecordValidator validator;
    private volatile FastPipeline fast;
    private volatile String status;
    private final CompletableFuture<String> verified;
    private final AtomicLong fastRequests = new AtomicLong();
    private final AtomicLong sparkRequests = new AtomicLong();

    private FastPathScorer(PipelineScorer spark, RecordValidator validator, FastPipeline fast, String status) {
        this.spark = spark;
        this.validator = validator;
        this.fast = fast;
        this.status = status;
        this.verified = CompletableFuture.completedFuture(status);
    }

    /** A scorer enabled on a recorded check, whose check against transform itself runs in the background. */
    private FastPathScorer(PipelineScorer spark, RecordValidator validator, FastPipeline fast, String status,
                           List<Map<String, Object>> samples) {
        this.spark = spark;
        this.validator = validator;
        this.fast = fast;
        this.status = status;
        this.verified = CompletableFuture.supplyAsync(() -> verifyLive(samples), FastPathScorer::verifier);
    }

    /**
     * Loads the bundle's pipeline, compiles it and checks it on the bundle's sample records: from
     * its {@link PipelineSnapshot} when it has a usable one, else through {@code PipelineModel.load}
     * and a check against {@code transform}.
     */
    public static FastPathScorer load(SparkSession session, Bundle bundle) {
        return loadSnapshot(() -> session, bundle).orElseGet(() -> loadPipeline(session, bundle));
    }

    /**
     * Loads through {@code PipelineModel.load} (the Spark jobs of every stage), compiles, and checks
     * against {@code transform} on the bundle's samples (or synthetic ones) before answering.
     */
    public static FastPathScorer loadPipeline(SparkSession session, Bundle bundle) {
        PipelineScorer spark = PipelineScorer.load(session, bundle);
        return create(spark, samples(bundle, spark));
    }

    /** The bundle's {@code samples.jsonl}, else synthetic samples from its schema. */
    static List<Map<String, Object>> samples(Bundle bundle, PipelineScorer spark) {
        try {
            Optional<List<Map<String, Object>>> samples = SampleRecords.read(bundle.directory());
            if (samples.isPresent() && !samples.get().isEmpty()) {
                return samples.get();
            }
        } catch (RuntimeException e) {
            LOG.warn("unreadable {} in bundle {} (synthetic samples instead): {}", SampleRecords.FILE,
                    bundle.directory(), e.getMessage());
        }
        return syntheticSamples(spark);
    }

    /**
     * The cold-start path: the pipeline from the bundle's {@link PipelineSnapshot} (no Spark job),
     * the fast path checked against the answers {@code transform} recorded in it when the bundle was
     * written, and enabled at once if identical; the same check against {@code transform} itself
     * then runs in the background once the session is up, and turns the fast path off on any
     * difference ({@link #awaitVerification}).
     *
     * @param session the session, possibly still starting: loading never waits for it; the Spark
     *     scorer behind the fast path (fallback, background check) asks for it when it runs
     * @return empty when the bundle has no usable snapshot (then use {@link #loadPipeline})
     */
    public static Optional<FastPathScorer> loadSnapshot(Supplier<SparkSession> session, Bundle bundle) {
        long start = System.nanoTime();
        ColdStart.prepareBeside();
        Optional<PipelineSnapshot.Loaded> snapshot = PipelineSnapshot.read(bundle.directory());
        if (snapshot.isEmpty()) {
            return Optional.empty();
        }
        PipelineSnapshot.Loaded loaded = snapshot.get();
        Supplier<SparkSession> complete = () -> {
            SparkSession spark = session.get();
            loaded.attach(spark);
            return spark;
        };
        PipelineScorer spark = new PipelineScorer(complete, bundle.metadata(), loaded.model(), loaded.planned());
        BundleMetadata m = spark.metadata();
        RecordValidator validator = validator(spark);
        FastPathCompiler.Compilation compiled = FastPathCompiler.compile(spark.model(), m.sparkSchema(), loaded);
        SelfCheck.Recorded recorded = loaded.recorded();
        FastPathScorer scorer;
        if (!compiled.supported() && loaded.plan() != null && recorded != null) {
            // Spark's own plan, compiled when the bundle was written: checked against the answers
            // transform recorded then, and answering before the session is up.
            scorer = recordedOrOff(spark, validator, loaded.plan(), recorded, "plan compiled at bundle time");
        } else if (!compiled.supported()) {
            // An older snapshot without the plan: Spark's own plan, compiled once the session is
            // up (transform would need it anyway), and checked against transform.
            FastPathCompiler.Compilation plan = PlanCompiler.compile(spark.session(), spark.model(), m.sparkSchema());
            if (plan.supported()) {
                scorer = checked(spark, plan.pipeline(), samples(bundle, spark));
            } else {
                String refusal = plan.refusal() + " (and no hand-written steps: " + compiled.refusal() + ")";
                LOG.info("fast path off: model={} version={} reason={}", m.name(), m.version(), refusal);
                scorer = new FastPathScorer(spark, validator, null, refusal);
            }
        } else if (recorded == null) {
            scorer = checked(spark, compiled.pipeline(), syntheticSamples(spark));
        } else {
            scorer = recordedOrOff(spark, validator, compiled.pipeline(), recorded, "hand-written steps");
        }
        LOG.info("bundle loaded from snapshot: model={} version={} fastPath={} ms={}", m.name(), m.version(),
                scorer.fastPathEnabled(), (System.nanoTime() - start) / 1_000_000);
        return Optional.of(scorer);
    }

    /**
     * Enabled at once when the candidate gives the answers transform recorded in the snapshot (the
     * same check then runs against transform itself in the background), else off.
     */
    private static FastPathScorer recordedOrOff(PipelineScorer spark, RecordValidator validator, FastPipeline candidate,
                                                SelfCheck.Recorded recorded, String kind) {
        BundleMetadata m = spark.metadata();
        SelfCheck.Result check = SelfCheck.replay(recorded, validator, candidate, spark.availableOutputs());
        if (!check.passed()) {
            LOG.warn("fast path disabled: model={} version={} check against recorded transform answers failed: {}",
                    m.name(), m.version(), check.describe());
            return new FastPathScorer(spark, validator, null, "self-check failed: " + check.describe());
        }
        return new FastPathScorer(spark, validator, candidate, "on: recorded check " + check.describe() + " ("
                + kind + "); live check pending", recorded.records());
    }

    static List<Map<String, Object>> syntheticSamples(PipelineScorer spark) {
        return SampleRecords.synthetic(spark.metadata().inputSchema(), spark.model(), SampleRecords.DEFAULT_COUNT,
                SAMPLE_SEED);
    }

    /** Wraps a loaded scorer: compiles its pipeline and checks it on the given sample records. */
    public static FastPathScorer create(PipelineScorer spark, List<Map<String, Object>> samples) {
        FastPathCompiler.Compilation compiled = compile(spark);
        BundleMetadata m = spark.metadata();
        if (!compiled.supported()) {
            LOG.info("fast path off: model={} version={} reason={}", m.name(), m.version(), compiled.refusal());
            return new FastPathScorer(spark, validator(spark), null, compiled.refusal());
        }
        return checked(spark, compiled.pipeline(), samples);
    }

    /**
     * The hand-written steps when they cover every stage (measured faster), else Spark's own plan
     * compiled row by row ({@link PlanCompiler}); the refusals of both when neither applies.
     */
    static FastPathCompiler.Compilation compile(PipelineScorer spark) {
        FastPathCompiler.Compilation steps = FastPathCompiler.compile(spark.model(), spark.metadata().sparkSchema());
        if (steps.supported()) {
            return steps;
        }
        FastPathCompiler.Compilation plan = PlanCompiler.compile(spark.session(), spark.model(),
                spark.metadata().sparkSchema());
        if (plan.supported()) {
            LOG.info("fast path from Spark's plan: model={} version={} (no hand-written steps: {})",
                    spark.metadata().name(), spark.metadata().version(), steps.refusal());
            return plan;
        }
        return new FastPathCompiler.Compilation(null, plan.refusal() + " (and no hand-written steps: "
                + steps.refusal() + ")");
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

    /** A scorer enabled on a recorded check (tests pass a sabotaged pipeline); verifies in the background. */
    static FastPathScorer recordedCheckPassed(PipelineScorer spark, FastPipeline candidate,
                                              List<Map<String, Object>> samples) {
        return new FastPathScorer(spark, validator(spark), candidate, "on: recorded check; live check pending",
                samples);
    }

    /** The background check against transform itself; turns the fast path off on any difference. */
    private String verifyLive(List<Map<String, Object>> samples) {
        BundleMetadata m = spark.metadata();
        FastPipeline candidate = fast;
        if (candidate == null) {
            return status;
        }
        long start = System.nanoTime();
        SelfCheck.Result check;
        SparkContext context = spark.session().sparkContext();
        context.setJobGroup(VERIFY_JOB_GROUP, "fast path check against transform: " + m.name() + " " + m.version(),
                false);
        try {
            check = SelfCheck.run(spark, validator, candidate, samples);
        } catch (RuntimeException e) {
            check = new SelfCheck.Result(0, "the check failed: " + e);
        } finally {
            context.clearJobGroup();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (!check.passed()) {
            fast = null;
            status = "self-check failed: " + check.describe();
            LOG.warn("fast path disabled after load: model={} version={} self-check against transform failed: {}"
                    + " (samples={} ms={})", m.name(), m.version(), check.describe(), samples.size(), ms);
        } else {
            status = "on: self-check " + check.describe() + " (recorded and live)";
            LOG.info("fast path confirmed: model={} version={} self-check {} (samples={} ms={})", m.name(), m.version(),
                    check.describe(), samples.size(), ms);
        }
        return status;
    }

    private static void verifier(Runnable task) {
        Thread thread = new Thread(task, "mlserve-fastpath-verify");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Waits for the check against {@code transform} (immediate unless the scorer came from a
     * snapshot); SnapStart priming calls it so the snapshot holds a verified scorer.
     *
     * @return the fast path's status afterwards, or the current one if the wait timed out
     */
    public String awaitVerification(Duration timeout) {
        try {
            return verified.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return status;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return status;
        } catch (ExecutionException e) {
            return status;
        }
    }

    static RecordValidator validator(PipelineScorer spark) {
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
    public List<Map<String, Object>> predict(TypedRecords records, List<String> outputs) {
        List<String> columns = spark.resolveOutputs(outputs);
        FastPipeline fast = this.fast;
        if (fast == null || !fast.covers(columns)) {
            sparkRequests.incrementAndGet();
            return spark.predict(records, outputs);
        }
        List<Object[]> rows = records.requireSchema(spark.metadata().inputSchema()).rows();
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
