package dev.mlserve.scoring.error;

import java.util.List;

/**
 * The caller's input is wrong (bad JSON, schema violations, bad options): HTTP 400, exit 2.
 * Holds at most {@link #MAX_DETAILS} violations and counts the ones left out, so an answer
 * naming them stays small however many records were bad.
 */
public class BadInputException extends ScoringException {
    /** Most violations an exception (an answer, a FAILED manifest) lists; the rest are counted. */
    public static final int MAX_DETAILS = 100;

    private final List<Violation> violations;
    private final long omitted;
    private final long invalidRecords;

    public BadInputException(String message) {
        this(message, List.of());
    }

    public BadInputException(String message, List<Violation> violations) {
        this(message, violations, 0, violations.stream().filter(v -> v.record() >= 0).map(Violation::record)
                .distinct().count());
    }

    /**
     * @param omitted violations already left out of {@code violations} (by a {@link ViolationList})
     * @param invalidRecords how many records have a problem, counting those of omitted violations
     */
    public BadInputException(String message, List<Violation> violations, long omitted, long invalidRecords) {
        super(message);
        int kept = Math.min(violations.size(), MAX_DETAILS);
        this.violations = List.copyOf(violations.subList(0, kept));
        this.omitted = omitted + violations.size() - kept;
        this.invalidRecords = invalidRecords;
    }

    /** The first {@link #MAX_DETAILS} violations, in the order found. */
    public List<Violation> violations() {
        return violations;
    }

    /** How many violations were found beyond those listed. */
    public long omitted() {
        return omitted;
    }

    /** How many records have a problem (0 when the problem is the request as a whole). */
    public long invalidRecords() {
        return invalidRecords;
    }
}
