package dev.mlserve.scoring.error;

import java.util.List;

/** The caller's input is wrong (bad JSON, schema violations, bad options): HTTP 400, exit 2. */
public class BadInputException extends ScoringException {
    private final List<Violation> violations;

    public BadInputException(String message) {
        this(message, List.of());
    }

    public BadInputException(String message, List<Violation> violations) {
        super(message);
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
