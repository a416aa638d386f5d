package dev.mlserve.functions.ports;

/**
 * The batch backend refused to start a run for now (EMR Serverless throttling or a concurrency
 * quota), after the adapter's own bounded retries. Callers may try again later: the API answers
 * 503 with {@code Retry-After}. Thrown by {@link BatchLauncher#start} and {@link Jobs#submit}.
 */
public class ThrottledException extends RuntimeException {
    private final int retryAfterSeconds;

    public ThrottledException(String message, int retryAfterSeconds, Throwable cause) {
        super(message, cause);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    public ThrottledException(String message) {
        this(message, 30, null);
    }

    /** How long a caller should wait before trying again. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
