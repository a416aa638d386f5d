package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.testing.TestSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoringProgressTest {
    private final SparkSession spark = TestSpark.session();

    @TempDir
    Path dir;

    @Test
    void snapshot_afterJobsOfTheRun_countsTheirRowsReadAndWritten() throws Exception {
        spark.range(0, 700, 1, 2).selectExpr("cast(id as string) as value").write().text(dir.resolve("in").toString());

        ScoringProgress.Snapshot seen;
        try (ScoringProgress progress = ScoringProgress.start(spark, "test", Duration.ofHours(1))) {
            spark.read().text(dir.resolve("in").toString()).write().text(dir.resolve("out").toString());
            seen = awaitWritten(progress, 700);
        }

        assertThat(seen.rowsWritten()).isEqualTo(700);
        assertThat(seen.rowsRead()).isEqualTo(700);
        assertThat(seen.tasks()).isPositive();
    }

    @Test
    void snapshot_jobsFromOtherThreads_areNotCounted() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        other.submit(() -> { }).get();

        ScoringProgress.Snapshot seen;
        try (ScoringProgress progress = ScoringProgress.start(spark, "test", Duration.ofHours(1))) {
            other.submit(() -> spark.range(0, 500, 1, 1).selectExpr("cast(id as string) as value").write()
                    .text(dir.resolve("other").toString())).get();
            spark.range(0, 300, 1, 1).selectExpr("cast(id as string) as value").write().text(dir.resolve("mine").toString());
            seen = awaitWritten(progress, 300);
        } finally {
            other.shutdownNow();
        }

        assertThat(seen.rowsWritten()).isEqualTo(300);
    }

    /** Listener events arrive asynchronously: wait for the expected count, then a moment for strays. */
    private static ScoringProgress.Snapshot awaitWritten(ScoringProgress progress, long rows) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (progress.snapshot().rowsWritten() < rows && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(200);
        return progress.snapshot();
    }
}
