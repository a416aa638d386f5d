package dev.mlserve.scoring.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator.Bad;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;

/**
 * The non-scalar input types: {@code vector}, {@code array<string>}, {@code array<double>},
 * {@code date} and {@code timestamp}, from JSON values (API bodies, JSON Lines), JSON text (a CSV
 * cell) or the values a Parquet row holds (rules: docs/validation.md).
 *
 * <ul>
 *   <li>vector: a JSON array of numbers (dense), or an object as Spark's own JSON writes vectors:
 *       {@code {"type":1,"values":[..]}} (dense) or {@code {"type":0,"size":n,"indices":[..],"values":[..]}}
 *       (sparse; {@code type} may be left out when {@code size} and {@code indices} are given).
 *       Indices strictly increasing within the size, one value per index, every value finite.</li>
 *   <li>array&lt;string&gt;, array&lt;double&gt;: a JSON array whose elements are all strings, or all finite
 *       numbers; a null element is refused with its position.</li>
 *   <li>date: ISO-8601 {@code yyyy-MM-dd}. timestamp: ISO-8601 date and time with an offset or
 *       {@code Z}; without one the time is read as UTC, whatever the machine's time zone.</li>
 * </ul>
 */
final class TypedValues {
    /** Most vector or array elements one value may hold: the largest array a JVM can allocate. */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private static final String VECTOR_FORMS =
            "an array of numbers, or {\"size\": n, \"indices\": [...], \"values\": [...]}";

    private TypedValues() {
    }

    /** A CSV cell holding the JSON form of a nested value. */
    static Object fromJsonText(FieldType type, String text) {
        Object parsed;
        try {
            parsed = Json.MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            return new Bad("cannot parse " + RecordValidator.quote(text) + " as " + type.jsonName()
                    + ": malformed JSON: " + Json.problem(e));
        }
        return convert(type, parsed);
    }

    /** The typed value, or a {@link Bad} with the reason. */
    static Object convert(FieldType type, Object raw) {
        return switch (type) {
            case VECTOR -> vector(raw);
            case ARRAY_STRING -> strings(raw);
            case ARRAY_DOUBLE -> doubles(raw);
            case DATE -> date(raw);
            case TIMESTAMP -> timestamp(raw);
            default -> throw new IllegalArgumentException("not a nested or time type: " + type);
        };
    }

    private static Object vector(Object raw) {
        if (raw instanceof Vector v) { // Parquet written by Spark: its vector type, read back as a vector
            return finiteVector(v);
        }
        List<?> list = list(raw);
        if (list != null) {
            Object values = doubleArray(list, "");
            return values instanceof double[] d ? Vectors.dense(d) : values;
        }
        if (raw instanceof Row row && row.schema() != null) {
            return vectorObject(rowAsMap(row));
        }
        if (raw instanceof Map<?, ?> map) {
            return vectorObject(map);
        }
        return new Bad("expected vector (" + VECTOR_FORMS + "), got " + RecordValidator.describe(raw));
    }

    private static Object vectorObject(Map<?, ?> map) {
        for (Object key : map.keySet()) {
            if (!"type".equals(key) && !"size".equals(key) && !"indices".equals(key) && !"values".equals(key)) {
                return new Bad("vector object has an unknown key " + RecordValidator.quote(String.valueOf(key))
                        + " (expected size, indices, values and optionally type)");
            }
        }
        Object typeTag = map.get("type");
        boolean sparse;
        if (typeTag == null) {
            sparse = map.containsKey("indices") || map.containsKey("size");
        } else if (typeTag instanceof Number n && (n.doubleValue() == 0 || n.doubleValue() == 1)) {
            sparse = n.intValue() == 0;
        } else {
            return new Bad("vector \"type\" must be 0 (sparse) or 1 (dense), got " + RecordValidator.describe(typeTag));
        }
        Object values = map.get("values");
        List<?> valueList = list(values);
        if (valueList == null) {
            return new Bad("vector \"values\" must be an array of numbers, got " + RecordValidator.describe(values));
        }
        Object parsedValues = doubleArray(valueList, "values ");
        if (parsedValues instanceof Bad) {
            return parsedValues;
        }
        double[] v = (double[]) parsedValues;
        if (!sparse) {
            if (map.containsKey("indices") && map.get("indices") != null) {
                return new Bad("a dense vector (\"type\": 1) has no \"indices\"");
            }
            return Vectors.dense(v);
        }
        Object sizeRaw = map.get("size");
        if (!(sizeRaw instanceof Number sizeNumber) || !isWhole(sizeNumber)) {
            return new Bad("sparse vector \"size\" must be a whole number, got " + RecordValidator.describe(sizeRaw));
        }
        double sizeValue = sizeNumber.doubleValue();
        if (sizeValue < 0 || sizeValue > MAX_ELEMENTS) {
            return new Bad("sparse vector \"size\" out of range (0 to " + MAX_ELEMENTS + "), got "
                    + RecordValidator.describe(sizeRaw));
        }
        int size = (int) sizeValue;
        Object indicesRaw = map.get("indices");
        List<?> indexList = list(indicesRaw);
        if (indexList == null) {
            return new Bad("sparse vector \"indices\" must be an array of whole numbers, got "
                    + RecordValidator.describe(indicesRaw));
        }
        if (indexList.size() != v.length) {
            return new Bad("sparse vector has " + indexList.size() + " indices and " + v.length + " values");
        }
        int[] indices = new int[v.length];
        int previous = -1;
        for (int i = 0; i < indices.length; i++) {
            Object e = indexList.get(i);
            if (!(e instanceof Number n) || !isWhole(n)) {
                return new Bad("sparse vector index " + i + ": expected a whole number, got "
                        + RecordValidator.describe(e));
            }
            double d = n.doubleValue();
            if (d < 0 || d >= size) {
                return new Bad("sparse vector index " + i + ": " + RecordValidator.truncate(n.toString())
                        + " is outside the size " + size);
            }
            if ((int) d <= previous) {
                return new Bad("sparse vector indices must be strictly increasing (index " + i + ": "
                        + (int) d + " after " + previous + ")");
            }
            indices[i] = (int) d;
            previous = indices[i];
        }
        return Vectors.sparse(size, indices, v);
    }

    private static Object finiteVector(Vector v) {
        double[] values = v instanceof SparseVector s ? s.values() : ((DenseVector) v).values();
        for (int i = 0; i < values.length; i++) {
            Object bad = nonFinite(values[i], "values ", i);
            if (bad != null) {
                return bad;
            }
        }
        return v;
    }

    private static Object strings(Object raw) {
        List<?> list = list(raw);
        if (list == null) {
            return RecordValidator.expected(FieldType.ARRAY_STRING, raw);
        }
        for (int i = 0; i < list.size(); i++) {
            Object e = list.get(i);
            if (!(e instanceof String)) {
                return new Bad("element " + i + ": " + (e == null ? "null is not allowed"
                        : "expected string, got " + RecordValidator.describe(e)));
            }
        }
        return seq(new ArrayList<Object>(list));
    }

    private static Object doubles(Object raw) {
        List<?> list = list(raw);
        if (list == null) {
            return RecordValidator.expected(FieldType.ARRAY_DOUBLE, raw);
        }
        Object values = doubleArray(list, "");
        if (values instanceof Bad) {
            return values;
        }
        double[] d = (double[]) values;
        List<Object> boxed = new ArrayList<>(d.length);
        for (double x : d) {
            boxed.add(x);
        }
        return seq(boxed);
    }

    /** Every element a finite number, as doubles; else the first bad element, by position. */
    private static Object doubleArray(List<?> list, String what) {
        double[] values = new double[list.size()];
        for (int i = 0; i < values.length; i++) {
            Object e = list.get(i);
            if (!(e instanceof Number n)) {
                return new Bad(what + "element " + i + ": " + (e == null ? "null is not allowed"
                        : "expected a number, got " + RecordValidator.describe(e)));
            }
            Object d = RecordValidator.floating(FieldType.DOUBLE, n);
            if (d instanceof Bad bad) {
                return new Bad(what + "element " + i + ": " + bad.reason());
            }
            values[i] = (Double) d;
        }
        return values;
    }

    private static Object nonFinite(double d, String what, int i) {
        if (Double.isNaN(d)) {
            return new Bad(what + "element " + i + ": " + RecordValidator.NAN_NOT_ALLOWED);
        }
        if (Double.isInfinite(d)) {
            return new Bad(what + "element " + i + ": " + RecordValidator.INFINITY_NOT_ALLOWED);
        }
        return null;
    }

    private static Object date(Object raw) {
        if (raw instanceof java.sql.Date d) {
            return d;
        }
        if (raw instanceof LocalDate d) {
            return java.sql.Date.valueOf(d);
        }
        if (!(raw instanceof String text)) {
            return RecordValidator.expected(FieldType.DATE, raw);
        }
        try {
            return java.sql.Date.valueOf(LocalDate.parse(text.trim(), DateTimeFormatter.ISO_LOCAL_DATE));
        } catch (DateTimeParseException e) {
            return new Bad("cannot parse " + RecordValidator.quote(text) + " as date (expected yyyy-MM-dd)");
        }
    }

    private static Object timestamp(Object raw) {
        if (raw instanceof java.sql.Timestamp t) {
            return t;
        }
        if (raw instanceof Instant i) {
            return java.sql.Timestamp.from(i);
        }
        if (!(raw instanceof String text)) {
            return RecordValidator.expected(FieldType.TIMESTAMP, raw);
        }
        String t = text.trim();
        try {
            Instant instant;
            try {
                instant = OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            } catch (DateTimeParseException withoutOffset) {
                instant = LocalDateTime.parse(t, DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC);
            }
            return java.sql.Timestamp.from(instant);
        } catch (DateTimeException e) {
            return new Bad("cannot parse " + RecordValidator.quote(text)
                    + " as timestamp (expected ISO-8601 such as 2024-03-01T12:30:00Z; without an offset it is UTC)");
        }
    }

    static Object jsonForm(Object value) {
        if (value instanceof SparseVector v) {
            Map<String, Object> sparse = new java.util.LinkedHashMap<>();
            sparse.put("size", v.size());
            sparse.put("indices", v.indices());
            sparse.put("values", v.values());
            return sparse;
        }
        if (value instanceof DenseVector v) {
            return v.values();
        }
        if (value instanceof java.sql.Date d) {
            return d.toLocalDate().toString();
        }
        if (value instanceof java.sql.Timestamp t) {
            return t.toInstant().toString();
        }
        if (value instanceof LocalDate || value instanceof Instant) {
            return value.toString();
        }
        if (value instanceof Row row && row.schema() != null) {
            Map<String, Object> map = new java.util.LinkedHashMap<>();
            rowAsMap(row).forEach((k, v) -> map.put(k, jsonForm(v)));
            return map;
        }
        List<?> list = value instanceof scala.collection.Seq<?> ? list(value) : null;
        if (list != null) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object o : list) {
                out.add(jsonForm(o));
            }
            return out;
        }
        return value;
    }

    private static boolean isWhole(Number n) {
        double d = n.doubleValue();
        return Double.isFinite(d) && d == Math.rint(d);
    }

    /** A JSON array (java.util.List), a Parquet array (a Scala Seq) or a Java array (also int[], double[]), as a list; else null. */
    private static List<?> list(Object raw) {
        if (raw instanceof List<?> l) {
            return l;
        }
        if (raw instanceof scala.collection.Seq<?> seq) {
            return JavaConverters.seqAsJavaList(seq);
        }
        if (raw instanceof Object[] array) {
            return Arrays.asList(array);
        }
        if (raw instanceof double[] array) {
            return Arrays.stream(array).boxed().toList();
        }
        if (raw instanceof int[] array) {
            return Arrays.stream(array).boxed().toList();
        }
        return null;
    }

    private static Map<String, Object> rowAsMap(Row row) {
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        String[] names = row.schema().fieldNames();
        for (int i = 0; i < names.length; i++) {
            if (!row.isNullAt(i)) {
                map.put(names[i], row.get(i));
            }
        }
        return map;
    }

    /** The external form Spark's row encoder and type converters take for arrays. */
    private static scala.collection.Seq<Object> seq(List<Object> values) {
        return JavaConverters.asScalaBuffer(values).toList();
    }
}
