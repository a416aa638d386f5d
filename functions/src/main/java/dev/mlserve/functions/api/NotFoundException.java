package dev.mlserve.functions.api;

/** No such route or job (unknown models and versions are scoring's ModelNotFoundException): 404. */
public class NotFoundException extends RuntimeException {
    public NotFoundException(String message) {
        super(message);
    }
}
