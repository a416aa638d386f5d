package dev.mlserve.scoring.error;

/**
 * One problem with one input record.
 *
 * @param record zero-based index of the record in the request (or -1 when not record-bound)
 * @param field the field name, or null when the problem is the record as a whole
 * @param reason what is wrong, in words a caller can act on
 */
public record Violation(int record, String field, String reason) implements java.io.Serializable {
    @Override
    public String toString() {
        String where = record >= 0 ? "record " + record : "request";
        return field == null ? where + ": " + reason : where + ", field '" + field + "': " + reason;
    }
}
