package dev.mlserve.functions.emr;

import dev.mlserve.functions.ports.ThrottledException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * Retries a call refused by throttling (HTTP 429, or an error code the SDK classifies as
 * throttling: ThrottlingException, TooManyRequestsException, ...) with bounded exponential
 * backoff and full jitter, on top of the SDK's own retries; then gives up with a
 * {@link ThrottledException}. Every other failure propagates at once.
 */
final class Backoff {
    private static final Logger LOG = LoggerFactory.getLogger(Backoff.class);

    /** Waits between attempts; a field so tests record instead of sleeping. */
    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    static final int DEFAULT_ATTEMPTS = 4;
    static final Duration DEFAULT_BASE = Duration.ofMillis(250);
    static final Duration DEFAULT_CAP = Duration.ofSeconds(4);
    /** What a caller is told to wait once the retries here are spent. */
    static final int RETRY_AFTER_SECONDS = 30;

    private final int attempts;
    private final Duration base;
    private final Duration cap;
    private final Sleeper sleeper;
    private final DoubleSupplier random;

    Backoff(int attempts, Duration base, Duration cap, Sleeper sleeper, DoubleSupplier random) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
        this.attempts = attempts;
        this.base = Objects.requireNonNull(base);
        this.cap = Objects.requireNonNull(cap);
        this.sleeper = Objects.requireNonNull(sleeper);
        this.random = Objects.requireNonNull(random);
    }

    static Backoff standard() {
        return new Backoff(DEFAULT_ATTEMPTS, DEFAULT_BASE, DEFAULT_CAP, d -> Thread.sleep(d.toMillis()),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    <T> T call(String operation, Supplier<T> action) {
        for (int attempt = 1; ; attempt++) {
            try {
                return action.get();
            } catch (AwsServiceException e) {
                if (!isThrottling(e)) {
                    throw e;
                }
                if (attempt == attempts) {
                    throw new ThrottledException(operation + " was throttled by EMR Serverless " + attempts
                            + " times in a row (" + code(e) + "); try again later",
                            RETRY_AFTER_SECONDS, e);
                }
                Duration delay = delay(attempt);
                LOG.warn("throttled, retrying: operation={} attempt={} of={} delayMs={} code={}", operation, attempt,
                        attempts, delay.toMillis(), code(e));
                try {
                    sleeper.sleep(delay);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new ThrottledException(operation + " was throttled and the retry wait was interrupted",
                            RETRY_AFTER_SECONDS, e);
                }
            }
        }
    }

    /** Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
    Duration delay(int attempt) {
        long ceiling = Math.min(cap.toMillis(), base.toMillis() << Math.min(attempt - 1, 20));
        return Duration.ofMillis((long) (random.getAsDouble() * ceiling));
    }

    private static String code(AwsServiceException e) {
        return e.awsErrorDetails() == null ? "HTTP " + e.statusCode() : e.awsErrorDetails().errorCode();
    }

    static boolean isThrottling(AwsServiceException e) {
        return e.statusCode() == 429 || e.isThrottlingException();
    }
}
