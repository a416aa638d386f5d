package dev.mlserve.scoring.schema;

import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.error.ViolationList;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks input records against a bundle's input schema and converts them to values typed for
 * Spark, reporting every problem of every record (rules and messages: docs/validation.md; a
 * request's answer lists the first {@link BadInputException#MAX_DETAILS} of them).
 *
 * <p>Serializable so it can travel inside Spark closures; all per-schema work is done once in the
 * constructor, and valid values are converted without exceptions or regular expressions.
 */
public final class RecordValidator implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How field values arrive. */
    public enum Mode {
        /**
         * Values as Jackson reads them (String, Integer/Long/BigInteger, Double/BigDecimal,
         * Boolean, null, List, Map) or as a Parquet row holds them (also Short, Byte, Float).
         */
        JSON,
        /** Every non-null value is text to be parsed (CSV cells). */
        TEXT
    }

    static final String REQUIRED_MISSING = "required field is missing";
    static final String NULL_NOT_ALLOWED = "null is not allowed: the field is not nullable";
    static final String NAN_NOT_ALLOWED = "NaN is not allowed";
    static final String INFINITY_NOT_ALLOWED = "Infinity is not allowed";
    /** Longest rendering of a bad value inside a reason. */
    static final int MAX_SHOWN_CHARS = 40;
    /** Most schema field names listed in an unknown-field reason. */
    static final int MAX_LISTED_FIELDS = 30;

    private static final double TWO_POW_63 = 0x1p63;

    private final FieldSpec[] fields;
    private final Mode mode;
    private final boolean allowUnknownFields;
    private final HashMap<String, Integer> indexByName;
    private final String unknownFieldReason;

    /**
     * @param schema the bundle's input fields, in the order values are returned
     * @param mode how values arrive (JSON values or text cells)
     * @param allowUnknownFields true to ignore fields the schema does not name (batch files pass
     *     extra columns such as ids through); false to report each one
     */
    public RecordValidator(List<FieldSpec> schema, Mode mode, boolean allowUnknownFields) {
        Objects.requireNonNull(schema, "schema");
        this.mode = Objects.requireNonNull(mode, "mode");
        if (schema.isEmpty()) {
            throw new IllegalArgumentException("schema has no fields");
        }
        this.fields = schema.toArray(new FieldSpec[0]);
        this.allowUnknownFields = allowUnknownFields;
        this.indexByName = new HashMap<>(fields.length * 2);
        for (int i = 0; i < fields.length; i++) {
            Objects.requireNonNull(fields[i], "schema field");
            if (indexByName.putIfAbsent(fields[i].name(), i) != null) {
                throw new IllegalArgumentException("schema lists field '" + fields[i].name() + "' twice");
            }
        }
        this.unknownFieldReason = unknownFieldReason(fields);
    }

    /**
     * Converts one record to values in schema order typed for Spark (String, Double, Float,
     * Integer, Long, Boolean, an ML {@code Vector}, a Scala {@code Seq} of String or Double,
     * {@code java.sql.Date}, {@code java.sql.Timestamp} or null). Appends every problem of this record to {@code violations}
     * (with {@code index} as the record number) and returns null when there was any.
     */
    public Object[] convert(int index, Map<String, ?> record, List<Violation> violations) {
        if (record == null) {
            violations.add(new Violation(index, null, notAnObject(null)));
            return null;
        }
        // Counted here, not by the list's size: a capped list (ViolationList) stops growing.
        int problems = 0;
        Object[] values = new Object[fields.length];
        int present = 0;
        for (int i = 0; i < fields.length; i++) {
            FieldSpec field = fields[i];
            Object raw = record.get(field.name());
            if (raw == null) {
                boolean explicitNull = record.containsKey(field.name());
                if (explicitNull) {
                    present++;
                }
                if (!field.nullable()) {
                    violations.add(new Violation(index, field.name(),
                            explicitNull ? NULL_NOT_ALLOWED : REQUIRED_MISSING));
                    problems++;
                }
                continue;
            }
            present++;
            Object value = convertValue(field.type(), raw);
            if (field.size() != null && value instanceof org.apache.spark.ml.linalg.Vector v && v.size() != field.size()) {
                value = new Bad("expected a vector of size " + field.size() + ", got size " + v.size());
            }
            if (value instanceof Bad bad) {
                violations.add(new Violation(index, field.name(), bad.reason()));
                problems++;
            } else if (value == null && !field.nullable()) {
                violations.add(new Violation(index, field.name(), NULL_NOT_ALLOWED));
                problems++;
            } else {
                values[i] = value;
            }
        }
        if (!allowUnknownFields && record.size() > present) {
            for (Object key : record.keySet()) {
                if (key == null || !indexByName.containsKey(key)) {
                    violations.add(new Violation(index, String.valueOf(key), unknownFieldReason));
                    problems++;
                }
            }
        }
        return problems > 0 ? null : values;
    }

    /**
     * Same as {@link #convert(int, Map, List)} for any element of a records array: anything but
     * a JSON object gives one record-level violation (field null).
     */
    @SuppressWarnings("unchecked")
    public Object[] convertAny(int index, Object record, List<Violation> violations) {
        if (record instanceof Map<?, ?> map) {
            return convert(index, (Map<String, ?>) map, violations);
        }
        violations.add(new Violation(index, null, notAnObject(record)));
        return null;
    }

    /**
     * Converts all records, in order.
     *
     * @throws BadInputException "N of M records are invalid", listing the first
     *     {@link BadInputException#MAX_DETAILS} problems and counting the rest
     */
    public List<Object[]> convertAll(List<?> records) {
        ViolationList violations = new ViolationList(BadInputException.MAX_DETAILS);
        List<Object[]> rows = new ArrayList<>(records.size());
        int index = 0;
        int invalid = 0;
        for (Object record : records) {
            Object[] row = convertAny(index++, record, violations);
            if (row == null) {
                invalid++;
            } else {
                rows.add(row);
            }
        }
        if (invalid > 0) {
            throw new BadInputException(invalid + " of " + index + " records are invalid", violations,
                    violations.omitted(), invalid);
        }
        return rows;
    }

    /**
     * The JSON form of a value as {@link #convert} returns it or a Spark row holds it, which this
     * validator reads back to the same value: dense vectors as arrays, sparse ones as
     * {@code {"size","indices","values"}}, arrays as lists, dates as {@code yyyy-MM-dd}, timestamps
     * as ISO-8601 instants in UTC, structs as objects; other values as they are.
     */
    public static Object jsonForm(Object value) {
        return TypedValues.jsonForm(value);
    }

    /** The names the schema does not know, in the order given. */
    public List<String> unknownFields(Collection<String> names) {
        List<String> unknown = new ArrayList<>();
        for (String name : names) {
            if (name == null || !indexByName.containsKey(name)) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    /** A converted value, null (an empty text cell), or a {@link Bad} with the reason. */
    private Object convertValue(FieldType type, Object raw) {
        if (mode == Mode.TEXT && raw instanceof String text) {
            return fromText(type, text);
        }
        return switch (type) {
            case STRING -> raw instanceof String ? raw : expected(type, raw);
            case BOOLEAN -> raw instanceof Boolean ? raw : expected(type, raw);
            case DOUBLE, FLOAT -> raw instanceof Number n ? floating(type, n) : expected(type, raw);
            case INT, LONG -> integral(type, raw);
            case VECTOR, ARRAY_STRING, ARRAY_DOUBLE, DATE, TIMESTAMP -> TypedValues.convert(type, raw);
        };
    }

    private static Object fromText(FieldType type, String text) {
        if (type == FieldType.STRING) {
            return text;
        }
        String t = text.trim();
        if (t.isEmpty()) {
            return null;
        }
        switch (type) {
            case VECTOR:
            case ARRAY_STRING:
            case ARRAY_DOUBLE:
                return TypedValues.fromJsonText(type, t);
            case DATE:
            case TIMESTAMP:
                return TypedValues.convert(type, t);
            case BOOLEAN:
                if (t.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (t.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                return expected(type, text);
            case DOUBLE:
            case FLOAT:
                double d;
                try {
                    d = Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    return cannotParse(type, text);
                }
                if (Double.isInfinite(d) && !t.endsWith("Infinity")) {
                    return outOfRange(type); // e.g. 1e400: too big, not the word Infinity
                }
                return finite(type, d);
            default: // INT, LONG
                if (isShortPlainInteger(t)) {
                    return inRange(type, Long.parseLong(t));
                }
                BigDecimal decimal;
                try {
                    decimal = new BigDecimal(t);
                } catch (NumberFormatException e) {
                    String named = nonFiniteName(t);
                    return named != null ? new Bad(named) : cannotParse(type, text);
                }
                return integral(type, decimal, t);
        }
    }

    static Object floating(FieldType type, Number n) {
        double d = n.doubleValue();
        if (!(n instanceof Double || n instanceof Float) && !Double.isFinite(d)) {
            return outOfRange(type); // BigDecimal or BigInteger beyond double
        }
        return finite(type, d);
    }

    /** Rejects NaN and Infinity by name, then checks the float range; boxes the result. */
    private static Object finite(FieldType type, double d) {
        if (Double.isNaN(d)) {
            return new Bad(NAN_NOT_ALLOWED);
        }
        if (Double.isInfinite(d)) {
            return new Bad(INFINITY_NOT_ALLOWED);
        }
        if (type == FieldType.FLOAT) {
            if (Math.abs(d) > Float.MAX_VALUE) {
                return outOfRange(type);
            }
            return (float) d;
        }
        return d;
    }

    private static Object integral(FieldType type, Object raw) {
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short || raw instanceof Byte) {
            return inRange(type, ((Number) raw).longValue());
        }
        if (raw instanceof BigInteger big) {
            return big.bitLength() <= 63 ? inRange(type, big.longValue()) : outOfRange(type);
        }
        if (raw instanceof Double || raw instanceof Float) {
            return integral(type, ((Number) raw).doubleValue(), raw);
        }
        if (raw instanceof BigDecimal decimal) {
            return integral(type, decimal, decimal.toString());
        }
        if (raw instanceof Number other) { // AtomicLong and the like: go by the decimal text
            try {
                return integral(type, new BigDecimal(other.toString()), other.toString());
            } catch (NumberFormatException e) {
                return expected(type, raw);
            }
        }
        return expected(type, raw);
    }

    private static Object integral(FieldType type, double d, Object shown) {
        if (Double.isNaN(d)) {
            return new Bad(NAN_NOT_ALLOWED);
        }
        if (Double.isInfinite(d)) {
            return new Bad(INFINITY_NOT_ALLOWED);
        }
        if (d != Math.rint(d)) {
            return notAnInteger(type, String.valueOf(shown));
        }
        if (type == FieldType.INT) {
            return d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE ? Integer.valueOf((int) d) : outOfRange(type);
        }
        return d >= -TWO_POW_63 && d < TWO_POW_63 ? Long.valueOf((long) d) : outOfRange(type);
    }

    private static Object integral(FieldType type, BigDecimal decimal, String shown) {
        if (decimal.signum() == 0) {
            return inRange(type, 0L);
        }
        // Digits before the point, computed without expanding a huge exponent such as 1E+999999999.
        long integerDigits = (long) decimal.precision() - decimal.scale();
        if (decimal.scale() > 0 && decimal.stripTrailingZeros().scale() > 0) {
            return notAnInteger(type, shown);
        }
        if (integerDigits > 19) {
            return outOfRange(type);
        }
        BigInteger big = decimal.toBigInteger();
        return big.bitLength() <= 63 ? inRange(type, big.longValue()) : outOfRange(type);
    }

    private static Object inRange(FieldType type, long v) {
        if (type == FieldType.INT) {
            return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? Integer.valueOf((int) v) : outOfRange(type);
        }
        return v;
    }

    /** An optional sign and 1 to 18 digits: always fits a long, so parseLong cannot throw. */
    private static boolean isShortPlainInteger(String t) {
        int start = t.charAt(0) == '-' || t.charAt(0) == '+' ? 1 : 0;
        int digits = t.length() - start;
        if (digits < 1 || digits > 18) {
            return false;
        }
        for (int i = start; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** The reason for the spellings Double.parseDouble reads as NaN or Infinity, else null. */
    private static String nonFiniteName(String t) {
        String unsigned = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
        if (unsigned.equals("NaN")) {
            return NAN_NOT_ALLOWED;
        }
        if (unsigned.equals("Infinity")) {
            return INFINITY_NOT_ALLOWED;
        }
        return null;
    }

    static Bad expected(FieldType type, Object raw) {
        return new Bad("expected " + type.jsonName() + ", got " + describe(raw));
    }

    private static Bad notAnInteger(FieldType type, String shown) {
        return new Bad("expected " + type.jsonName() + ", got " + truncate(shown) + " (not an integer)");
    }

    private static Bad outOfRange(FieldType type) {
        return new Bad("out of range for " + type.jsonName());
    }

    static Bad cannotParse(FieldType type, String text) {
        return new Bad("cannot parse " + quote(text) + " as " + type.jsonName());
    }

    private static String notAnObject(Object record) {
        return "record is not a JSON object (got " + kind(record) + ")";
    }

    /** What a value is, with a short rendering for scalars: {@code string "abc"}, {@code number 3}. */
    static String describe(Object value) {
        if (value instanceof String s) {
            return "string " + quote(s);
        }
        if (value instanceof Number || value instanceof Boolean) {
            return kind(value) + " " + truncate(value.toString());
        }
        return kind(value);
    }

    private static String kind(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "string";
        }
        if (value instanceof Number) {
            return "number";
        }
        if (value instanceof Boolean) {
            return "boolean";
        }
        if (value instanceof List || value instanceof Object[] || value instanceof scala.collection.Seq) {
            return "array";
        }
        if (value instanceof Map || value instanceof org.apache.spark.sql.Row) {
            return "object";
        }
        if (value instanceof org.apache.spark.ml.linalg.Vector) {
            return "vector";
        }
        if (value instanceof java.util.Date || value instanceof java.time.temporal.Temporal) {
            return "date or time";
        }
        if (value instanceof byte[]) {
            return "binary";
        }
        return "value of type " + value.getClass().getSimpleName();
    }

    /** The text in double quotes, truncated, with quotes, backslashes and control characters escaped. */
    static String quote(String text) {
        String shown = truncate(text);
        StringBuilder b = new StringBuilder(shown.length() + 2).append('"');
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** At most MAX_SHOWN_CHARS characters, ending in "..." when cut; never splits a surrogate pair. */
    static String truncate(String text) {
        return Violation.shorten(text, MAX_SHOWN_CHARS);
    }

    private static String unknownFieldReason(FieldSpec[] fields) {
        StringBuilder b = new StringBuilder("unknown field (expected one of: ");
        int listed = Math.min(fields.length, MAX_LISTED_FIELDS);
        for (int i = 0; i < listed; i++) {
            b.append(i == 0 ? "" : ", ").append(fields[i].name());
        }
        if (fields.length > listed) {
            b.append(", ... (").append(fields.length - listed).append(" more)");
        }
        return b.append(')').toString();
    }

    /** A conversion failure; never stored, so it need not be serializable. */
    record Bad(String reason) {
    }
}
