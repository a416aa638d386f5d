package dev.mlserve.functions.api;

/** An {@code Idempotency-Key} already used for a different batch request of the same model version: 422. */
public class IdempotencyConflictException extends RuntimeException {
    public IdempotencyConflictException(String message) {
        super(message);
    }
}
