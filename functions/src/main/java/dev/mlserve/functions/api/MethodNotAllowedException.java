package dev.mlserve.functions.api;

/** A known path called with the wrong HTTP method: 405 with an {@code Allow} header. */
public class MethodNotAllowedException extends RuntimeException {
    private final String allowed;

    public MethodNotAllowedException(String message, String allowed) {
        super(message);
        this.allowed = allowed;
    }

    /** The method the path accepts. */
    public String allowed() {
        return allowed;
    }
}
