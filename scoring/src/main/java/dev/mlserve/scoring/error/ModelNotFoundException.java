package dev.mlserve.scoring.error;

/** No bundle for that model name or version: HTTP 404. */
public class ModelNotFoundException extends ScoringException {
    public ModelNotFoundException(String message) {
        super(message);
    }
}
