package dev.mlserve.scoring.error;

/**
 * One problem with one input record. The field name and the reason are cut to a bounded length
 * (ending in "..."), since both can echo what the caller sent.
 *
 * @param record zero-based index of the record in the request (or -1 when not record-bound)
 * @param field the field name, or null when the problem is the record as a whole
 * @param reason what is wrong, in words a caller can act on
 */
public record Violation(int record, String field, String reason) implements java.io.Serializable {
    /** Longest field name, or caller's text quoted inside a reason, that a violation repeats. */
    public static final int MAX_SHOWN_CHARS = 200;
    /** Longest reason; ours are shorter, and any caller's text inside one is cut to MAX_SHOWN_CHARS. */
    public static final int MAX_REASON_CHARS = 1000;

    public Violation {
        field = field == null ? null : shorten(field, MAX_SHOWN_CHARS);
        reason = reason == null ? null : shorten(reason, MAX_REASON_CHARS);
    }

    /** The caller's text as a violation may repeat it: at most {@value #MAX_SHOWN_CHARS} characters. */
    public static String shown(String text) {
        return shorten(text, MAX_SHOWN_CHARS);
    }

    /** At most {@code max} characters, ending in "..." when cut; never splits a surrogate pair. */
    public static String shorten(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        int end = max - 3;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "...";
    }

    @Override
    public String toString() {
        String where = record >= 0 ? "record " + record : "request";
        return field == null ? where + ": " + reason : where + ", field '" + field + "': " + reason;
    }
}
