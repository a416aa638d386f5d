package dev.mlserve.functions.api;

/** A prediction request whose Content-Type the API does not read (not JSON, not CSV): 415. */
public class UnsupportedMediaTypeException extends RuntimeException {
    public UnsupportedMediaTypeException(String message) {
        super(message);
    }
}
