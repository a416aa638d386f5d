package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.HadoopBundle;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way from a bundle to its scorer, for every entry point: the API and upload functions, the
 * local batch launcher, the EMR batch job and the command line. A bundle folder on this machine
 * loads from its {@link PipelineSnapshot} when it has a usable one (no Spark job), else through
 * {@code PipelineModel.load}; a bundle behind a Hadoop URI (EMR: {@code s3://}) through
 * {@code PipelineModel.load} with its {@code samples.jsonl} read through Hadoop too. Either way the
 * fast path is compiled and checked against {@code transform} on the bundle's samples (synthetic
 * ones when it has none) before it answers, so the EMR job runs exactly what the inline path runs.
 *
 * <p>{@code PipelineModel.load} runs with Spark's code generation off for the load only: it runs a
 * few small Spark jobs per stage, and in a fresh JVM compiling generated code for each costs more
 * than interpreting a handful of rows (about half the load time, docs/benchmarks.md). The session's
 * settings are restored afterwards.
 *
 * <p>Loaded scorers are kept per bundle, the least recently used dropped beyond {@code capacity}.
 * Loads of different bundles run at the same time; two requests for one bundle share one load.
 */
public final class ScorerProvider {
    private static final Logger LOG = LoggerFactory.getLogger(ScorerProvider.class);
    /** Loaded pipelines kept (each holds a Spark PipelineModel in memory). */
    public static final int DEFAULT_CAPACITY = 4;
    /** The SQL settings changed while a pipeline loads, with their values during the load. */
    static final Map<String, String> LOAD_SETTINGS = Map.of(
            "spark.sql.codegen.wholeStage", "false",
            "spark.sql.codegen.factoryMode", "NO_CODEGEN");
    private static final long SAMPLE_SEED = 20261125L;

    private final Supplier<SparkSession> session;
    private final Map<String, CompletableFuture<FastPathScorer>> scorers;

    public ScorerProvider(Supplier<SparkSession> session) {
        this(session, DEFAULT_CAPACITY);
    }

    /** @param session the session, possibly still starting: a snapshot load does not wait for it */
    public ScorerProvider(Supplier<SparkSession> session, int capacity) {
        this.session = Objects.requireNonNull(session, "session");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.scorers = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<FastPathScorer>> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Over a session that is already up. */
    public static ScorerProvider of(SparkSession spark) {
        Objects.requireNonNull(spark, "spark");
        return new ScorerProvider(() -> spark);
    }

    /** The scorer of a bundle folder on this machine. */
    public FastPathScorer scorer(Bundle bundle) {
        return cached("file:" + bundle.directory().toAbsolutePath().normalize(), () -> load(bundle));
    }

    /** The scorer of a bundle behind a Hadoop path or URI (s3:// on EMR, file:, a plain path). */
    public FastPathScorer scorer(HadoopBundle bundle) {
        return cached(bundle.uri(), () -> load(bundle));
    }

    /** The scorers loaded so far, most recently used last. */
    public synchronized List<FastPathScorer> loaded() {
        List<FastPathScorer> out = new ArrayList<>();
        for (CompletableFuture<FastPathScorer> f : scorers.values()) {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                out.add(f.join());
            }
        }
        return out;
    }

    private FastPathScorer cached(String key, Supplier<FastPathScorer> loader) {
        CompletableFuture<FastPathScorer> future;
        boolean mine = false;
        synchronized (this) {
            future = scorers.get(key);
            if (future == null) {
                future = new CompletableFuture<>();
                scorers.put(key, future);
                mine = true;
            }
        }
        if (mine) {
            try {
                future.complete(loader.get());
            } catch (Throwable e) { // Spark's Scala code throws checked exceptions (a missing path) too
                synchronized (this) {
                    scorers.remove(key, future);
                }
                future.completeExceptionally(e);
                throw unchecked(key, e);
            }
        }
        try {
            return future.join();
        } catch (CompletionException e) {
            throw unchecked(key, e.getCause());
        }
    }

    private static RuntimeException unchecked(String bundle, Throwable e) {
        if (e instanceof Error error) {
            throw error;
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException("cannot load bundle " + bundle + ": " + e, e);
    }

    private FastPathScorer load(Bundle bundle) {
        return FastPathScorer.loadSnapshot(session, bundle).orElseGet(() -> {
            SparkSession spark = session.get();
            // Only the load itself without code generation: the self-check and the fast path's own
            // projections are built afterwards, with the session's settings.
            PipelineScorer scorer = withoutCodegen(spark, () -> PipelineScorer.load(spark, bundle));
            return FastPathScorer.create(scorer, FastPathScorer.samples(bundle, scorer));
        });
    }

    private FastPathScorer load(HadoopBundle bundle) {
        SparkSession spark = session.get();
        PipelineScorer scorer = withoutCodegen(spark, () -> PipelineScorer.load(spark, bundle));
        return FastPathScorer.create(scorer, samples(spark, bundle, scorer));
    }

    /** {@code samples.jsonl} of the bundle read through Hadoop, else synthetic samples from its schema. */
    private static List<Map<String, Object>> samples(SparkSession spark, HadoopBundle bundle, PipelineScorer scorer) {
        Path file = new Path(bundle.uri() + "/" + SampleRecords.FILE);
        try {
            FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.isFile(file)) {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(file),
                        StandardCharsets.UTF_8))) {
                    List<Map<String, Object>> samples = SampleRecords.parse(in.lines().toList(), file.toString());
                    if (!samples.isEmpty()) {
                        return samples;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("unreadable {} (synthetic samples instead): {}", file, e.getMessage());
        }
        return SampleRecords.synthetic(scorer.metadata().inputSchema(), scorer.model(), SampleRecords.DEFAULT_COUNT,
                SAMPLE_SEED);
    }

    static <T> T withoutCodegen(SparkSession spark, Supplier<T> load) {
        RuntimeConfig conf = spark.conf();
        Map<String, String> previous = new LinkedHashMap<>();
        LOAD_SETTINGS.keySet().forEach(k -> previous.put(k, conf.getOption(k).isDefined() ? conf.get(k) : null));
        try {
            LOAD_SETTINGS.forEach(conf::set);
            return load.get();
        } finally {
            previous.forEach((k, v) -> {
                if (v == null) {
                    conf.unset(k);
                } else {
                    conf.set(k, v);
                }
            });
        }
    }
}
