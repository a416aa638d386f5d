package dev.mlserve.scoring.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.bundle.InputSchemas;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator.Mode;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/** The vector, array, date and timestamp input types: every accepted form and every refusal's reason. */
class TypedValuesTest {
    private static final List<FieldSpec> SCHEMA = List.of(
            new FieldSpec("v", FieldType.VECTOR, true),
            new FieldSpec("sized", FieldType.VECTOR, true, 3),
            new FieldSpec("words", FieldType.ARRAY_STRING, true),
            new FieldSpec("xs", FieldType.ARRAY_DOUBLE, true),
            new FieldSpec("day", FieldType.DATE, true),
            new FieldSpec("ts", FieldType.TIMESTAMP, true));

    private static Object one(String field, String json, Mode mode) throws Exception {
        RecordValidator validator = new RecordValidator(SCHEMA, mode, false);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put(field, mode == Mode.TEXT ? json : Json.MAPPER.readValue(json, Object.class));
        List<Violation> violations = new ArrayList<>();
        Object[] row = validator.convert(0, record, violations);
        if (row == null) {
            assertThat(violations).hasSize(1);
            return "BAD: " + violations.get(0).reason();
        }
        return row[SCHEMA.stream().map(FieldSpec::name).toList().indexOf(field)];
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("v", "[1, 2.5, 0]", Vectors.dense(1, 2.5, 0)),
                Arguments.of("v", "{\"type\": 1, \"values\": [1, 2]}", Vectors.dense(1, 2)),
                Arguments.of("v", "{\"size\": 5, \"indices\": [1, 3], \"values\": [0.5, -2]}",
                        Vectors.sparse(5, new int[] {1, 3}, new double[] {0.5, -2})),
                Arguments.of("v", "{\"type\": 0, \"size\": 2, \"indices\": [], \"values\": []}",
                        Vectors.sparse(2, new int[0], new double[0])),
                Arguments.of("v", "[]", Vectors.dense(new double[0])),
                Arguments.of("sized", "[1, 2, 3]", Vectors.dense(1, 2, 3)),
                Arguments.of("words", "[\"a\", \"b b\", \"\"]", seq("a", "b b", "")),
                Arguments.of("words", "[]", seq()),
                Arguments.of("xs", "[1, -2.5, 1e300]", seq(1.0, -2.5, 1e300)),
                Arguments.of("day", "\"2024-02-29\"", Date.valueOf("2024-02-29")),
                Arguments.of("ts", "\"2024-03-01T12:30:00Z\"", Timestamp.from(Instant.parse("2024-03-01T12:30:00Z"))),
                Arguments.of("ts", "\"2024-03-01T14:30:00.123456+02:00\"",
                        Timestamp.from(Instant.parse("2024-03-01T12:30:00.123456Z"))),
                Arguments.of("ts", "\"2024-03-01T12:30:00\"", Timestamp.from(Instant.parse("2024-03-01T12:30:00Z"))));
    }

    @SafeVarargs
    private static <T> scala.collection.Seq<T> seq(T... values) {
        return JavaConverters.asScalaBuffer(List.of(values)).toList();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("accepted")
    void jsonValue_isConvertedToSparksExternalType(String field, String json, Object expected) throws Exception {
        assertThat(one(field, json, Mode.JSON)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "CSV cell {0} = {1}")
    @MethodSource("accepted")
    void csvCell_holdingTheSameJson_givesTheSameValue(String field, String json, Object expected) throws Exception {
        String cell = field.equals("day") || field.equals("ts") ? json.substring(1, json.length() - 1) : json;
        assertThat(one(field, cell, Mode.TEXT)).isEqualTo(expected);
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("v", "\"1,2\"", "expected vector (an array of numbers, or {\"size\": n, \"indices\": [...],"
                        + " \"values\": [...]}), got string \"1,2\""),
                Arguments.of("v", "[1, \"x\"]", "element 1: expected a number, got string \"x\""),
                Arguments.of("v", "[1, null]", "element 1: null is not allowed"),
                Arguments.of("v", "[NaN]", "element 0: NaN is not allowed"),
                Arguments.of("v", "[1e400]", "element 0: Infinity is not allowed"),
                Arguments.of("v", "{\"size\": 3, \"indices\": [2, 1], \"values\": [1, 1]}",
                        "sparse vector indices must be strictly increasing (index 1: 1 after 2)"),
                Arguments.of("v", "{\"size\": 3, \"indices\": [3], \"values\": [1]}",
                        "sparse vector index 0: 3 is outside the size 3"),
                Arguments.of("v", "{\"size\": 3, \"indices\": [0, 1], \"values\": [1]}",
                        "sparse vector has 2 indices and 1 values"),
                Arguments.of("v", "{\"size\": -1, \"indices\": [], \"values\": []}",
                        "sparse vector \"size\" out of range (0 to 2147483639), got number -1"),
                Arguments.of("v", "{\"size\": 1.5, \"indices\": [], \"values\": []}",
                        "sparse vector \"size\" must be a whole number, got number 1.5"),
                Arguments.of("v", "{\"type\": 7, \"values\": []}", "vector \"type\" must be 0 (sparse) or 1 (dense), got number 7"),
                Arguments.of("v", "{\"values\": [1], \"extra\": 1}",
                        "vector object has an unknown key \"extra\" (expected size, indices, values and optionally type)"),
                Arguments.of("v", "{\"size\": 2, \"indices\": \"0\", \"values\": [1]}",
                        "sparse vector \"indices\" must be an array of whole numbers, got string \"0\""),
                Arguments.of("sized", "[1, 2]", "expected a vector of size 3, got size 2"),
                Arguments.of("words", "\"a b\"", "expected array<string>, got string \"a b\""),
                Arguments.of("words", "[\"a\", 1]", "element 1: expected string, got number 1"),
                Arguments.of("words", "[null]", "element 0: null is not allowed"),
                Arguments.of("xs", "[true]", "element 0: expected a number, got boolean true"),
                Arguments.of("xs", "{}", "expected array<double>, got object"),
                Arguments.of("day", "\"2024-02-30\"", "cannot parse \"2024-02-30\" as date (expected yyyy-MM-dd)"),
                Arguments.of("day", "20240101", "expected date, got number 20240101"),
                Arguments.of("ts", "\"yesterday\"", "cannot parse \"yesterday\" as timestamp (expected ISO-8601 such as"
                        + " 2024-03-01T12:30:00Z; without an offset it is UTC)"),
                Arguments.of("ts", "1700000000", "expected timestamp, got number 1700000000"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("refused")
    void badValue_isRefusedWithItsReason(String field, String json, String reason) throws Exception {
        assertThat(one(field, json, Mode.JSON)).isEqualTo("BAD: " + reason);
    }

    @Test
    void csvCell_withMalformedJson_namesTheTypeAndTheProblem() throws Exception {
        assertThat((String) one("v", "[1, 2", Mode.TEXT)).startsWith("BAD: cannot parse \"[1, 2\" as vector: malformed JSON:");
        assertThat(one("v", "  ", Mode.TEXT)).as("an empty cell is null").isNull();
    }

    @Test
    void jsonForm_readsBackToTheSameValue() throws Exception {
        RecordValidator validator = new RecordValidator(SCHEMA, Mode.JSON, false);
        Object[] values = {Vectors.sparse(4, new int[] {0, 2}, new double[] {1.5, -0.0}), Vectors.dense(1, 2, 3),
            seq("x", "y"), seq(0.1, 2.0), Date.valueOf("1969-12-31"), Timestamp.from(Instant.parse("1960-01-01T00:00:00.5Z"))};
        Map<String, Object> record = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            record.put(SCHEMA.get(i).name(), RecordValidator.jsonForm(values[i]));
        }
        Map<String, Object> reparsed = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(record), Map.class);

        assertThat(validator.convert(0, reparsed, new ArrayList<>())).containsExactly(values);
    }

    @Test
    void ddl_acceptsVectorBesideSparksOwnTypes_andSampleStructsOfAVectorAreVectors() {
        List<FieldSpec> fields = BundleMetadata.fieldsOf(InputSchemas.fromDdl(
                "features VECTOR NOT NULL, `my vector` vector, words ARRAY<STRING>, xs array<bigint>, day DATE, ts TIMESTAMP"));

        assertThat(fields).extracting(FieldSpec::type).containsExactly(FieldType.VECTOR, FieldType.VECTOR,
                FieldType.ARRAY_STRING, FieldType.ARRAY_DOUBLE, FieldType.DATE, FieldType.TIMESTAMP);
        assertThat(fields.get(0).nullable()).isFalse();
        assertThat(fields.get(1).name()).isEqualTo("my vector");
        // what Spark infers from a JSON Lines sample holding vectors as Spark's JSON writes them
        assertThat(FieldType.fromSparkType(InputSchemas.fromDdl(
                "v STRUCT<indices: ARRAY<BIGINT>, size: BIGINT, type: BIGINT, values: ARRAY<DOUBLE>>").fields()[0].dataType()))
                .isEqualTo(FieldType.VECTOR);
    }
}
