package dev.mlserve.functions.ports;

/**
 * The batch backend kept refusing for rate or capacity reasons after bounded retries: nothing was
 * started, the caller may try again later. The API answers 503; the upload handler rethrows it so
 * Lambda's retry applies.
 */
public class ThrottledException extends RuntimeException {
    private final int attempts;

    public ThrottledException(String message, int attempts, Throwable cause) {
        super(message, cause);
        this.attempts = attempts;
    }

    /** How many calls were made before giving up. */
    public int attempts() {
        return attempts;
    }
}
