package dev.mlserve.scoring.error;

/** A bundle exists but cannot be used (bad bundle.json, missing pipeline): a real fault, HTTP 500. */
public class BundleFormatException extends ScoringException {
    public BundleFormatException(String message) {
        super(message);
    }

    public BundleFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
