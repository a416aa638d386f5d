package dev.mlserve.functions.routing;

/** A request over the hard caps (bytes or records): refused whole, HTTP 413. */
public class RequestTooLargeException extends RuntimeException {
    public RequestTooLargeException(String message) {
        super(message);
    }
}
