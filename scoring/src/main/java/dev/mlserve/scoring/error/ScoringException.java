package dev.mlserve.scoring.error;

/** Base of the failures a caller can act on; each subtype maps to one answer at the edge. */
public abstract class ScoringException extends RuntimeException {
    protected ScoringException(String message) {
        super(message);
    }

    protected ScoringException(String message, Throwable cause) {
        super(message, cause);
    }
}
