package dev.mlserve.scoring.io;

import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.spark.SparkContext;
import org.apache.spark.Success$;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * A progress line in the driver log while a file is scored, for runs where nobody watches the
 * Spark UI (EMR Serverless): rows read, rows written, their rates over the last interval. Counts
 * come from the metrics of successful tasks of this run's jobs only (tagged with a local property
 * of the calling thread), so other work in the same SparkContext does not mix in. Runs shorter
 * than one interval log nothing.
 */
final class ScoringProgress implements AutoCloseable {
    static final String RUN_PROPERTY = "mlserve.scoring.run";
    private static final Logger LOG = LoggerFactory.getLogger(ScoringProgress.class);

    private final SparkContext sc;
    private final String previousRun;
    private final Counter counter;
    private final ScheduledExecutorService timer;
    private final String input;
    private final long startedNanos = System.nanoTime();
    private Snapshot last = new Snapshot(0, 0, 0);

    /** What the run has done so far. */
    record Snapshot(long rowsRead, long rowsWritten, long tasks) {
    }

    private ScoringProgress(SparkSession spark, String input, Duration interval) {
        this.sc = spark.sparkContext();
        this.input = input;
        String runId = input + "#" + System.identityHashCode(this) + "@" + startedNanos;
        this.previousRun = sc.getLocalProperty(RUN_PROPERTY);
        this.counter = new Counter(runId);
        sc.addSparkListener(counter);
        sc.setLocalProperty(RUN_PROPERTY, runId);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mlserve-scoring-progress");
            t.setDaemon(true);
            return t;
        });
        long millis = interval.toMillis();
        timer.scheduleAtFixedRate(() -> log(millis), millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Starts counting the jobs this thread submits; logs every {@code interval} until closed. */
    static ScoringProgress start(SparkSession spark, String input, Duration interval) {
        return new ScoringProgress(spark, input, interval);
    }

    Snapshot snapshot() {
        return new Snapshot(counter.rowsRead.sum(), counter.rowsWritten.sum(), counter.tasks.sum());
    }

    private void log(long intervalMillis) {
        Snapshot now = snapshot();
        double seconds = intervalMillis / 1000.0;
        LOG.info("scoring progress: input={} rowsRead={} readRate={}/s rowsWritten={} writeRate={}/s tasks={} elapsedS={}",
                input, now.rowsRead(), Math.round((now.rowsRead() - last.rowsRead()) / seconds), now.rowsWritten(),
                Math.round((now.rowsWritten() - last.rowsWritten()) / seconds), now.tasks(),
                (System.nanoTime() - startedNanos) / 1_000_000_000L);
        last = now;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sc.setLocalProperty(RUN_PROPERTY, previousRun);
        sc.removeSparkListener(counter);
    }

    /** Sums the record metrics of successful tasks in the stages of jobs tagged with one run id. */
    private static final class Counter extends SparkListener {
        private final String runId;
        private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
        private final LongAdder rowsRead = new LongAdder();
        private final LongAdder rowsWritten = new LongAdder();
        private final LongAdder tasks = new LongAdder();

        Counter(String runId) {
            this.runId = runId;
        }

        @Override
        public void onJobStart(SparkListenerJobStart job) {
            Properties properties = job.properties();
            if (properties != null && runId.equals(properties.getProperty(RUN_PROPERTY))) {
                JavaConverters.seqAsJavaList(job.stageIds()).forEach(id -> stages.add((Integer) id));
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd task) {
            TaskMetrics metrics = task.taskMetrics();
            if (!stages.contains(task.stageId()) || task.reason() != Success$.MODULE$ || metrics == null) {
                return;
            }
            rowsRead.add(metrics.inputMetrics().recordsRead());
            rowsWritten.add(metrics.outputMetrics().recordsWritten());
            tasks.increment();
        }
    }
}
