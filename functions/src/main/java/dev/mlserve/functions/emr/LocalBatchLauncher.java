package dev.mlserve.functions.emr;

import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.store.LocalUris;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.fast.ScorerProvider;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default of the batch launcher: the batch job's file scoring run in this process on
 * the local SparkSession, one run at a time on a background thread (like an EMR application with
 * one worker). States live in memory: SUBMITTED, RUNNING, then SUCCESS or FAILED; a run this
 * process does not know (started before a restart) answers FAILED, and {@code StoreJobs} reads the
 * result from the run's manifest instead. A repeated clientToken answers the first run. A run writes
 * into its own run folder ({@link BatchJob#runUri()}) and, once its state is final, tells the
 * listener given to {@link #onRunEnded} (the jobs' {@code runEnded}, which commits the result), as
 * EMR Serverless's state-change event does in AWS.
 */
public final class LocalBatchLauncher implements BatchLauncher, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalBatchLauncher.class);
    private static final String RUN_PREFIX = "local-";

    private final Supplier<SparkSession> spark;
    private final ExecutorService worker;
    private final Map<String, String> runsByToken = new ConcurrentHashMap<>();
    private final Map<String, JobState> states = new ConcurrentHashMap<>();
    private volatile Consumer<String> runEnded = jobId -> { };
    private final ScorerProvider scorers;

    public LocalBatchLauncher(SparkSession spark) {
        this(supplierOf(Objects.requireNonNull(spark, "spark")));
    }

    /** Over a session that may still be starting: asked for only when a run starts. */
    public LocalBatchLauncher(Supplier<SparkSession> spark) {
        this.spark = Objects.requireNonNull(spark, "spark");
        this.scorers = new ScorerProvider(spark);
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mlserve-local-batch");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized String start(BatchJob job) {
        String token = job.clientToken() == null ? job.jobId() : job.clientToken();
        String existing = runsByToken.get(token);
        if (existing != null) {
            LOG.info("local run already started for this client token: jobId={} runId={}", job.jobId(), existing);
            return existing;
        }
        String runId = RUN_PREFIX + job.jobId();
        states.put(runId, new JobState("SUBMITTED", null));
        runsByToken.put(token, runId);
        worker.execute(() -> run(runId, job));
        LOG.info("local run submitted: jobId={} runId={}", job.jobId(), runId);
        return runId;
    }

    /** Called on the worker thread with our job id once a run's state is final (before the next run starts). */
    public void onRunEnded(Consumer<String> listener) {
        this.runEnded = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public JobState state(String runId) {
        JobState state = states.get(runId);
        if (state != null) {
            return state;
        }
        return new JobState("FAILED", "local run " + runId + " is not known to this process (runs are kept in"
                + " memory; the process that started it has stopped)");
    }

    @Override
    public Optional<String> jobIdOf(String runId) {
        return runId.startsWith(RUN_PREFIX) && states.containsKey(runId)
                ? Optional.of(runId.substring(RUN_PREFIX.length())) : Optional.empty();
    }

    /** Waits until every run submitted so far has ended (for tests and an orderly CLI exit). */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        try {
            worker.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the local batch worker failed", e);
        }
    }

    @Override
    public void close() {
        worker.shutdown();
    }

    private void run(String runId, BatchJob job) {
        states.put(runId, new JobState("RUNNING", null));
        long started = System.nanoTime();
        try {
            Manifest manifest = new FileScorer(spark.get(), scorer(job.bundleUri())).score(job.inputUri(),
                    FileFormat.fromName(job.format()), job.runUri(),
                    new RunInfo("batch", job.routeReason(), job.jobId(), job.inputEtag(), job.inputVersionId(),
                            job.sourceUri()));
            states.put(runId, manifest.succeeded()
                    ? new JobState("SUCCESS", null)
                    : new JobState("FAILED", "the input could not be scored: " + manifest.error()));
            LOG.info("local run ended: jobId={} runId={} status={} rowsIn={} ms={}", job.jobId(), runId,
                    manifest.status(), manifest.rowsIn(), (System.nanoTime() - started) / 1_000_000);
        } catch (Exception e) { // a checked SparkException can escape Spark's Scala code
            states.put(runId, new JobState("FAILED", e.getClass().getSimpleName() + ": " + e.getMessage()));
            LOG.error("local run failed: jobId={} runId={}", job.jobId(), runId, e);
        } catch (Error e) {
            states.put(runId, new JobState("FAILED", e.getClass().getSimpleName() + ": " + e.getMessage()));
            throw e;
        } finally {
            notifyEnded(job.jobId());
        }
    }

    private void notifyEnded(String jobId) {
        try {
            runEnded.accept(jobId);
        } catch (RuntimeException e) {
            LOG.error("committing the result of local run failed: jobId={}", jobId, e);
        }
    }

    private FastPathScorer scorer(String bundleUri) {
        Bundle bundle = LocalBundleStore.open(LocalUris.toPath(bundleUri).toAbsolutePath().normalize());
        return scorers.scorer(bundle);
    }

    private static Supplier<SparkSession> supplierOf(SparkSession spark) {
        return () -> spark;
    }
}
