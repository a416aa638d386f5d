package dev.mlserve.scoring.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class SessionStartTest {

    @Test
    void nothingStartsUntilAskedOrStarted() {
        AtomicInteger builds = new AtomicInteger();
        SessionStart start = new SessionStart(() -> {
            builds.incrementAndGet();
            return mock(SparkSession.class);
        }, "test-spark-start");

        assertThat(start.isReady()).isFalse();
        assertThat(builds).hasValue(0);
        SparkSession session = start.get();

        assertThat(start.isReady()).isTrue();
        assertThat(start.get()).isSameAs(session);
        assertThat(builds).hasValue(1);
    }

    @Test
    void startReturnsAtOnce_andCallersAtTheSameTimeShareOneBuild() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger builds = new AtomicInteger();
        SparkSession built = mock(SparkSession.class);
        SessionStart start = new SessionStart(() -> {
            builds.incrementAndGet();
            await(release);
            return built;
        }, "test-spark-start");

        start.start();
        start.start();
        assertThat(start.isReady()).as("still starting").isFalse();
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            Future<?>[] gets = new Future<?>[4];
            for (int i = 0; i < gets.length; i++) {
                gets[i] = callers.submit(start::get);
            }
            Thread.sleep(100);
            for (Future<?> get : gets) {
                assertThat(get).as("waits for the session").isNotDone();
            }
            release.countDown();
            for (Future<?> get : gets) {
                assertThat(get.get(10, TimeUnit.SECONDS)).isSameAs(built);
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(builds).hasValue(1);
    }

    @Test
    void aSessionThatCannotStart_failsEveryCallerWithItsCause_andIsNotRetried() {
        AtomicInteger builds = new AtomicInteger();
        SessionStart start = new SessionStart(() -> {
            builds.incrementAndGet();
            throw new IllegalStateException("scratch directory /tmp/x is not writable");
        }, "test-spark-start");

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(start::get).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is not writable");
        }
        assertThat(start.isReady()).isFalse();
        assertThat(builds).hasValue(1);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
