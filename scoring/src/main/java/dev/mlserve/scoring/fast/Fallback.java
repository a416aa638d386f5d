package dev.mlserve.scoring.fast;

/**
 * A row the fast path does not answer itself (where Spark's own code would throw, for example an
 * unseen category with handleInvalid "error"): the request is sent through {@code transform},
 * which answers, or fails, exactly as plain Spark does. File scoring rejects such a row instead of
 * failing the whole file. Cheap: no stack trace.
 */
public final class Fallback extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Fallback(String reason) {
        super(reason, null, false, false);
    }
}
