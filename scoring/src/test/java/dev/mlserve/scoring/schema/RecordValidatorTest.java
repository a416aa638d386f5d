package dev.mlserve.scoring.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.mlserve.scoring.api.PredictBody;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator.Mode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RecordValidatorTest {

    /** One field of each type, all required, plus one nullable double. */
    private static final List<FieldSpec> ALL_TYPES = List.of(
            new FieldSpec("plan", FieldType.STRING, false),
            new FieldSpec("tenure", FieldType.DOUBLE, false),
            new FieldSpec("ratio", FieldType.FLOAT, false),
            new FieldSpec("visits", FieldType.INT, false),
            new FieldSpec("bytes", FieldType.LONG, false),
            new FieldSpec("active", FieldType.BOOLEAN, false),
            new FieldSpec("score", FieldType.DOUBLE, true));

    private static final String ALL_TYPES_NAMES = "plan, tenure, ratio, visits, bytes, active, score";

    // ---------------------------------------------------------------- valid records

    @Test
    void convert_whenJsonRecordIsValid_returnsTypedValuesInSchemaOrder() throws Exception {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = parseObject("""
                {"active": true, "bytes": 10000000000, "visits": 3, "ratio": 0.25,
                 "tenure": 12.5, "plan": "basic", "score": null}""");
        List<Violation> violations = new ArrayList<>();

        Object[] row = validator.convert(0, record, violations);

        assertThat(violations).isEmpty();
        assertThat(row).containsExactly("basic", 12.5d, 0.25f, 3, 10_000_000_000L, true, null);
    }

    @Test
    void convert_whenTextRecordIsValid_parsesEachCellToItsType() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.TEXT, false);
        Map<String, Object> record = record("plan", " basic ", "tenure", " 12.5 ", "ratio", "0.25",
                "visits", "3", "bytes", "10000000000", "active", " TRUE ", "score", "-1e3");
        List<Violation> violations = new ArrayList<>();

        Object[] row = validator.convert(0, record, violations);

        assertThat(violations).isEmpty();
        assertThat(row).containsExactly(" basic ", 12.5d, 0.25f, 3, 10_000_000_000L, true, -1000.0d);
    }

    @Test
    void convert_whenJsonValuesComeFromParquetRow_acceptsNarrowAndDecimalTypes() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = record("plan", "basic", "tenure", new BigDecimal("2.50"),
                "ratio", 1.5d, "visits", (short) 7, "bytes", (byte) -2, "active", false,
                "score", 0.5f);
        List<Violation> violations = new ArrayList<>();

        Object[] row = validator.convert(0, record, violations);

        assertThat(violations).isEmpty();
        assertThat(row).containsExactly("basic", 2.5d, 1.5f, 7, -2L, false, 0.5d);
    }

    @Test
    void convertAll_whenAllRecordsAreValid_returnsRowsInOrder() throws Exception {
        RecordValidator validator = new RecordValidator(
                List.of(new FieldSpec("x", FieldType.INT, false)), Mode.JSON, false);
        List<Object> records = parseRecords("{\"records\":[{\"x\":1},{\"x\":2},{\"x\":3}]}");

        List<Object[]> rows = validator.convertAll(records);

        assertThat(rows).extracting(r -> r[0]).containsExactly(1, 2, 3);
    }

    // ---------------------------------------------------------------- record shape

    @Test
    void convertAll_whenElementsAreNotObjects_reportsRecordLevelViolationsWithKind() throws Exception {
        RecordValidator validator = validator("x", FieldType.DOUBLE, true, Mode.JSON);
        List<Object> records = parseRecords("{\"records\":[[1,2], \"x\", 3, null, true, {\"x\": 1}]}");

        BadInputException e = catchThrowableOfType(BadInputException.class, () -> validator.convertAll(records));

        assertThat(e).hasMessage("5 of 6 records are invalid");
        assertThat(e.violations()).containsExactly(
                new Violation(0, null, "record is not a JSON object (got array)"),
                new Violation(1, null, "record is not a JSON object (got string)"),
                new Violation(2, null, "record is not a JSON object (got number)"),
                new Violation(3, null, "record is not a JSON object (got null)"),
                new Violation(4, null, "record is not a JSON object (got boolean)"));
    }

    @Test
    void convertAll_whenEveryRecordIsBad_listsTheFirstHundredViolationsAndCountsTheRest() {
        RecordValidator validator = new RecordValidator(List.of(new FieldSpec("x", FieldType.INT, false)), Mode.JSON,
                false);
        List<Object> records = new ArrayList<>();
        for (int i = 0; i < 116_000; i++) {
            records.add(Map.of("zz", 0)); // two problems each: x is missing, zz is unknown
        }

        BadInputException e = catchThrowableOfType(() -> validator.convertAll(records), BadInputException.class);

        assertThat(e.getMessage()).isEqualTo("116000 of 116000 records are invalid");
        assertThat(e.violations()).hasSize(BadInputException.MAX_DETAILS);
        assertThat(e.violations().get(0)).isEqualTo(new Violation(0, "x", RecordValidator.REQUIRED_MISSING));
        assertThat(e.violations().get(99).record()).isEqualTo(49);
        assertThat(e.omitted()).isEqualTo(2 * 116_000 - 100);
        assertThat(e.invalidRecords()).isEqualTo(116_000);
    }

    @Test
    void convertAll_whenBadRecordsComeAfterTheCap_stillRefusesThem() {
        RecordValidator validator = new RecordValidator(List.of(new FieldSpec("x", FieldType.INT, false)), Mode.JSON,
                false);
        List<Object> records = new ArrayList<>();
        for (int i = 0; i < BadInputException.MAX_DETAILS + 1; i++) {
            records.add(Map.of("x", "not a number"));
        }
        records.add(Map.of("y", 1));

        BadInputException e = catchThrowableOfType(() -> validator.convertAll(records), BadInputException.class);

        assertThat(e.getMessage()).isEqualTo("102 of 102 records are invalid");
        assertThat(e.omitted()).isEqualTo(3);
    }

    @Test
    void convert_whenUnknownFieldNameIsHuge_reportsItCutTo200Characters() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = validRecord();
        record.put("k".repeat(100_000), 1);
        List<Violation> violations = new ArrayList<>();

        validator.convert(0, record, violations);

        assertThat(violations).singleElement().satisfies(v -> {
            assertThat(v.field()).hasSize(Violation.MAX_SHOWN_CHARS).endsWith("k...");
            assertThat(v.reason()).startsWith("unknown field");
        });
    }

    @Test
    void convert_whenFieldIsUnknownAndRefused_reportsItWithExpectedNames() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = validRecord();
        record.put("customerId", "c-1");

        List<Violation> violations = new ArrayList<>();
        Object[] row = validator.convert(4, record, violations);

        assertThat(row).isNull();
        assertThat(violations).containsExactly(new Violation(4, "customerId",
                "unknown field (expected one of: " + ALL_TYPES_NAMES + ")"));
    }

    @Test
    void convert_whenFieldIsUnknownAndAllowed_ignoresIt() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, true);
        Map<String, Object> record = validRecord();
        record.put("customerId", "c-1");

        List<Violation> violations = new ArrayList<>();
        Object[] row = validator.convert(0, record, violations);

        assertThat(violations).isEmpty();
        assertThat(row).hasSize(ALL_TYPES.size()).doesNotContain("c-1");
    }

    @Test
    void convert_whenSchemaIsLong_listsOnlyTheFirstThirtyNames() {
        List<FieldSpec> schema = IntStream.range(0, 35)
                .mapToObj(i -> new FieldSpec("f" + i, FieldType.DOUBLE, true))
                .toList();
        RecordValidator validator = new RecordValidator(schema, Mode.JSON, false);

        List<Violation> violations = new ArrayList<>();
        validator.convert(0, record("nope", 1), violations);

        assertThat(violations).singleElement().extracting(Violation::reason).asString()
                .startsWith("unknown field (expected one of: f0, f1, ")
                .endsWith(", f29, ... (5 more))");
    }

    @Test
    void unknownFields_returnsNamesNotInSchemaInOrder() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.TEXT, true);

        List<String> unknown = validator.unknownFields(List.of("zip", "plan", "id", "tenure", "Plan"));

        assertThat(unknown).containsExactly("zip", "id", "Plan");
    }

    // ---------------------------------------------------------------- missing and null

    @Test
    void convert_whenRequiredFieldIsMissing_reportsIt() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = validRecord();
        record.remove("tenure");

        assertThat(violationsOf(validator, record))
                .containsExactly(new Violation(0, "tenure", "required field is missing"));
    }

    @Test
    void convert_whenNullableFieldIsMissingOrNull_givesNull() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> missing = validRecord();
        missing.remove("score");
        Map<String, Object> explicitNull = validRecord();
        explicitNull.put("score", null);
        List<Violation> violations = new ArrayList<>();

        Object[] fromMissing = validator.convert(0, missing, violations);
        Object[] fromNull = validator.convert(1, explicitNull, violations);

        assertThat(violations).isEmpty();
        assertThat(fromMissing[6]).isNull();
        assertThat(fromNull[6]).isNull();
    }

    @ParameterizedTest
    @MethodSource("modes")
    void convert_whenRequiredFieldIsExplicitNull_reportsNullNotAllowed(Mode mode) {
        RecordValidator validator = new RecordValidator(ALL_TYPES, mode, false);
        Map<String, Object> record = mode == Mode.JSON ? validRecord() : validTextRecord();
        record.put("plan", null);

        assertThat(violationsOf(validator, record))
                .containsExactly(new Violation(0, "plan", "null is not allowed: the field is not nullable"));
    }

    @Test
    void convert_whenTextCellIsEmpty_treatsItAsNullExceptForStrings() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.TEXT, false);
        Map<String, Object> record = validTextRecord();
        record.put("plan", "");
        record.put("score", "  ");
        record.put("visits", "");
        List<Violation> violations = new ArrayList<>();

        validator.convert(0, record, violations);
        record.put("visits", "3");
        Object[] row = validator.convert(1, record, violations);

        assertThat(violations).containsExactly(
                new Violation(0, "visits", "null is not allowed: the field is not nullable"));
        assertThat(row[0]).isEqualTo("");
        assertThat(row[6]).isNull();
    }

    // ---------------------------------------------------------------- wrong types (JSON)

    static Stream<Arguments> wrongJsonTypes() {
        return Stream.of(
                Arguments.of("tenure", "abc", "expected double, got string \"abc\""),
                Arguments.of("tenure", "3", "expected double, got string \"3\""),
                Arguments.of("tenure", true, "expected double, got boolean true"),
                Arguments.of("tenure", List.of(1, 2), "expected double, got array"),
                Arguments.of("tenure", Map.of("a", 1), "expected double, got object"),
                Arguments.of("ratio", "x", "expected float, got string \"x\""),
                Arguments.of("plan", 3, "expected string, got number 3"),
                Arguments.of("plan", false, "expected string, got boolean false"),
                Arguments.of("plan", List.of("a"), "expected string, got array"),
                Arguments.of("visits", "7", "expected int, got string \"7\""),
                Arguments.of("visits", Map.of(), "expected int, got object"),
                Arguments.of("bytes", true, "expected long, got boolean true"),
                Arguments.of("active", "true", "expected boolean, got string \"true\""),
                Arguments.of("active", 1, "expected boolean, got number 1"));
    }

    @ParameterizedTest
    @MethodSource("wrongJsonTypes")
    void convert_whenJsonValueHasWrongType_reportsFieldAndReason(String field, Object value, String reason) {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = validRecord();
        record.put(field, value);

        assertThat(violationsOf(validator, record)).containsExactly(new Violation(0, field, reason));
    }

    @Test
    void convert_whenDoubleFieldHasString_reportsFieldAndReason() throws Exception {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = validRecord();
        record.putAll(parseObject("{\"tenure\": \"abc\"}"));

        assertThat(violationsOf(validator, record))
                .containsExactly(new Violation(0, "tenure", "expected double, got string \"abc\""));
    }

    @Test
    void convert_whenBadValueIsLong_showsTruncatedEscapedRendering() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = validRecord();
        record.put("tenure", "say \"hi\"\n" + "x".repeat(200));

        List<Violation> violations = violationsOf(validator, record);

        assertThat(violations).singleElement().extracting(Violation::reason)
                .isEqualTo("expected double, got string \"say \\\"hi\\\"\\n" + "x".repeat(28) + "...\"");
    }

    // ---------------------------------------------------------------- numbers (JSON)

    @Test
    void convertAll_whenJsonTextHasNaNOrInfinity_rejectsThemByName() throws Exception {
        RecordValidator validator = new RecordValidator(
                List.of(new FieldSpec("tenure", FieldType.DOUBLE, true),
                        new FieldSpec("ratio", FieldType.FLOAT, true),
                        new FieldSpec("visits", FieldType.INT, true)),
                Mode.JSON, false);
        List<Object> records = parseRecords("""
                {"records":[{"tenure": NaN}, {"tenure": Infinity}, {"tenure": -Infinity},
                            {"ratio": NaN}, {"visits": Infinity}, {"tenure": 1.5}]}""");

        BadInputException e = catchThrowableOfType(BadInputException.class, () -> validator.convertAll(records));

        assertThat(e).hasMessage("5 of 6 records are invalid");
        assertThat(e.violations()).containsExactly(
                new Violation(0, "tenure", "NaN is not allowed"),
                new Violation(1, "tenure", "Infinity is not allowed"),
                new Violation(2, "tenure", "Infinity is not allowed"),
                new Violation(3, "ratio", "NaN is not allowed"),
                new Violation(4, "visits", "Infinity is not allowed"));
    }

    @Test
    void convertAll_whenRequestBodyParsedByTheApiHasNonFiniteNumbers_rejectsThemByName() {
        RecordValidator validator = new RecordValidator(
                List.of(new FieldSpec("tenure", FieldType.DOUBLE, true),
                        new FieldSpec("visits", FieldType.LONG, true)),
                Mode.JSON, false);
        PredictBody request = PredictBody.parse("""
                {"records":[{"tenure": NaN}, {"tenure": 1e400}, {"visits": 12345678901234567890},
                            {"tenure": 0.5, "visits": 9223372036854775807}]}""", "application/json");

        BadInputException e = catchThrowableOfType(BadInputException.class,
                () -> validator.convertAll(request.records()));

        assertThat(e).hasMessage("3 of 4 records are invalid");
        assertThat(e.violations()).containsExactly(
                new Violation(0, "tenure", "NaN is not allowed"),
                new Violation(1, "tenure", "Infinity is not allowed"),
                new Violation(2, "visits", "out of range for long"));
    }

    @Test
    void convert_whenBigNumberExceedsDoubleRange_reportsOutOfRange() {
        RecordValidator validator = validator("x", FieldType.DOUBLE, false, Mode.JSON);

        assertThat(violationsOf(validator, record("x", BigInteger.TEN.pow(400))))
                .containsExactly(new Violation(0, "x", "out of range for double"));
        assertThat(violationsOf(validator, record("x", new BigDecimal("-1e400"))))
                .containsExactly(new Violation(0, "x", "out of range for double"));
        assertThat(convertOk(validator, record("x", new BigDecimal("1e300")))).containsExactly(1e300);
    }

    @Test
    void convert_whenFloatOverflows_reportsOutOfRangeForFloat() throws Exception {
        RecordValidator validator = validator("x", FieldType.FLOAT, false, Mode.JSON);

        assertThat(violationsOf(validator, parseObject("{\"x\": 3.5e38}")))
                .containsExactly(new Violation(0, "x", "out of range for float"));
        assertThat(violationsOf(validator, parseObject("{\"x\": -1e39}")))
                .containsExactly(new Violation(0, "x", "out of range for float"));
        assertThat(violationsOf(validator, record("x", BigInteger.TEN.pow(400))))
                .containsExactly(new Violation(0, "x", "out of range for float"));
        assertThat(convertOk(validator, parseObject("{\"x\": 3.4e38}"))).containsExactly(3.4e38f);
        assertThat(convertOk(validator, parseObject("{\"x\": 2}"))).containsExactly(2.0f);
    }

    static Stream<Arguments> intEdges() {
        return Stream.of(
                Arguments.of(FieldType.INT, "2147483647", 2147483647, null),
                Arguments.of(FieldType.INT, "-2147483648", -2147483648, null),
                Arguments.of(FieldType.INT, "2147483648", null, "out of range for int"),
                Arguments.of(FieldType.INT, "-2147483649", null, "out of range for int"),
                Arguments.of(FieldType.INT, "2147483647.0", 2147483647, null),
                Arguments.of(FieldType.INT, "2147483648.0", null, "out of range for int"),
                Arguments.of(FieldType.INT, "1e10", null, "out of range for int"),
                Arguments.of(FieldType.INT, "3.0", 3, null),
                Arguments.of(FieldType.INT, "-0.0", 0, null),
                Arguments.of(FieldType.INT, "3.5", null, "expected int, got 3.5 (not an integer)"),
                Arguments.of(FieldType.LONG, "9223372036854775807", Long.MAX_VALUE, null),
                Arguments.of(FieldType.LONG, "-9223372036854775808", Long.MIN_VALUE, null),
                Arguments.of(FieldType.LONG, "9223372036854775808", null, "out of range for long"),
                Arguments.of(FieldType.LONG, "-9223372036854775809", null, "out of range for long"),
                Arguments.of(FieldType.LONG, "9223372036854775808.0", null, "out of range for long"),
                Arguments.of(FieldType.LONG, "-9223372036854775808.0", Long.MIN_VALUE, null),
                Arguments.of(FieldType.LONG, "9.3e18", null, "out of range for long"),
                Arguments.of(FieldType.LONG, "1e18", 1_000_000_000_000_000_000L, null),
                Arguments.of(FieldType.LONG, "2.0", 2L, null),
                Arguments.of(FieldType.LONG, "-0.25", null, "expected long, got -0.25 (not an integer)"));
    }

    @ParameterizedTest
    @MethodSource("intEdges")
    void convert_whenJsonIntegralFieldIsAtOrBeyondEdge_acceptsOrReportsRange(
            FieldType type, String json, Object expected, String reason) throws Exception {
        RecordValidator validator = validator("x", type, false, Mode.JSON);
        Map<String, Object> record = parseObject("{\"x\": " + json + "}");

        assertResult(validator, record, expected, reason);
    }

    @ParameterizedTest
    @MethodSource("intEdges")
    void convert_whenTextIntegralCellIsAtOrBeyondEdge_acceptsOrReportsRange(
            FieldType type, String text, Object expected, String reason) {
        RecordValidator validator = validator("x", type, false, Mode.TEXT);

        assertResult(validator, record("x", " " + text + " "), expected, reason);
    }

    @Test
    void convert_whenIntegralFieldGetsDecimalOrBigInteger_appliesSameRules() {
        RecordValidator ints = validator("x", FieldType.INT, false, Mode.JSON);
        RecordValidator longs = validator("x", FieldType.LONG, false, Mode.JSON);

        assertThat(convertOk(ints, record("x", new BigDecimal("42.000")))).containsExactly(42);
        assertThat(convertOk(ints, record("x", new BigDecimal("4.2E+1")))).containsExactly(42);
        assertThat(convertOk(longs, record("x", BigInteger.valueOf(5)))).containsExactly(5L);
        assertThat(violationsOf(ints, record("x", new BigDecimal("4.25"))))
                .containsExactly(new Violation(0, "x", "expected int, got 4.25 (not an integer)"));
        assertThat(violationsOf(longs, record("x", new BigDecimal("1E+999999999"))))
                .containsExactly(new Violation(0, "x", "out of range for long"));
        assertThat(violationsOf(ints, record("x", new BigDecimal("1E+20"))))
                .containsExactly(new Violation(0, "x", "out of range for int"));
        assertThat(violationsOf(longs, record("x", BigInteger.ONE.shiftLeft(63))))
                .containsExactly(new Violation(0, "x", "out of range for long"));
        assertThat(violationsOf(ints, record("x", Double.NaN)))
                .containsExactly(new Violation(0, "x", "NaN is not allowed"));
        assertThat(violationsOf(longs, record("x", Float.NEGATIVE_INFINITY)))
                .containsExactly(new Violation(0, "x", "Infinity is not allowed"));
    }

    @Test
    void convert_whenIntegralCellHasHugeExponent_answersQuicklyWithoutExpandingIt() {
        RecordValidator validator = validator("x", FieldType.LONG, false, Mode.TEXT);

        List<Violation> violations = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> violationsOf(validator, record("x", "1E+99999999")));

        assertThat(violations).containsExactly(new Violation(0, "x", "out of range for long"));
    }

    // ---------------------------------------------------------------- numbers and booleans (TEXT)

    static Stream<Arguments> badTextCells() {
        return Stream.of(
                Arguments.of(FieldType.DOUBLE, "abc", "cannot parse \"abc\" as double"),
                Arguments.of(FieldType.DOUBLE, "1,5", "cannot parse \"1,5\" as double"),
                Arguments.of(FieldType.DOUBLE, "NaN", "NaN is not allowed"),
                Arguments.of(FieldType.DOUBLE, " -NaN ", "NaN is not allowed"),
                Arguments.of(FieldType.DOUBLE, "Infinity", "Infinity is not allowed"),
                Arguments.of(FieldType.DOUBLE, "-Infinity", "Infinity is not allowed"),
                Arguments.of(FieldType.DOUBLE, "1e400", "out of range for double"),
                Arguments.of(FieldType.FLOAT, "abc", "cannot parse \"abc\" as float"),
                Arguments.of(FieldType.FLOAT, "NaN", "NaN is not allowed"),
                Arguments.of(FieldType.FLOAT, "+Infinity", "Infinity is not allowed"),
                Arguments.of(FieldType.FLOAT, "3.5e38", "out of range for float"),
                Arguments.of(FieldType.FLOAT, "-1e400", "out of range for float"),
                Arguments.of(FieldType.INT, "abc", "cannot parse \"abc\" as int"),
                Arguments.of(FieldType.INT, "0x10", "cannot parse \"0x10\" as int"),
                Arguments.of(FieldType.INT, "NaN", "NaN is not allowed"),
                Arguments.of(FieldType.INT, "-Infinity", "Infinity is not allowed"),
                Arguments.of(FieldType.LONG, "12abc", "cannot parse \"12abc\" as long"),
                Arguments.of(FieldType.LONG, "Infinity", "Infinity is not allowed"),
                Arguments.of(FieldType.LONG, "1E+999999999", "out of range for long"),
                Arguments.of(FieldType.BOOLEAN, "yes", "expected boolean, got string \"yes\""),
                Arguments.of(FieldType.BOOLEAN, "1", "expected boolean, got string \"1\""));
    }

    @ParameterizedTest
    @MethodSource("badTextCells")
    void convert_whenTextCellIsBad_reportsFieldAndReason(FieldType type, String cell, String reason) {
        RecordValidator validator = validator("x", type, false, Mode.TEXT);

        assertThat(violationsOf(validator, record("x", cell))).containsExactly(new Violation(0, "x", reason));
    }

    @Test
    void convert_whenTextBooleanIsAnyCase_acceptsTrueAndFalse() {
        RecordValidator validator = validator("x", FieldType.BOOLEAN, false, Mode.TEXT);

        assertThat(convertOk(validator, record("x", "True"))).containsExactly(true);
        assertThat(convertOk(validator, record("x", " FALSE "))).containsExactly(false);
    }

    @Test
    void convert_whenTextStringCellHasAnyText_keepsItUnchanged() {
        RecordValidator validator = validator("x", FieldType.STRING, false, Mode.TEXT);

        assertThat(convertOk(validator, record("x", " 3.5 "))).containsExactly(" 3.5 ");
        assertThat(convertOk(validator, record("x", "NaN"))).containsExactly("NaN");
    }

    @Test
    void convert_whenTextModeGetsUnknownOrMissingFields_appliesSameRulesAsJson() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.TEXT, false);
        Map<String, Object> record = validTextRecord();
        record.remove("bytes");
        record.put("id", "7");

        assertThat(violationsOf(validator, record)).containsExactly(
                new Violation(0, "bytes", "required field is missing"),
                new Violation(0, "id", "unknown field (expected one of: " + ALL_TYPES_NAMES + ")"));
    }

    // ---------------------------------------------------------------- every problem, in order

    @Test
    void convert_whenRecordHasThreeBadFields_reportsThreeViolationsInSchemaOrder() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.JSON, false);
        Map<String, Object> record = validRecord();
        record.put("active", "yes");
        record.put("plan", 1);
        record.put("visits", 2.5);

        List<Violation> violations = new ArrayList<>();
        Object[] row = validator.convert(0, record, violations);

        assertThat(row).isNull();
        assertThat(violations).containsExactly(
                new Violation(0, "plan", "expected string, got number 1"),
                new Violation(0, "visits", "expected int, got 2.5 (not an integer)"),
                new Violation(0, "active", "expected boolean, got string \"yes\""));
    }

    @Test
    void convertAll_whenSeveralRecordsAreBad_reportsEveryViolationByRecordThenSchemaThenUnknown()
            throws Exception {
        RecordValidator validator = new RecordValidator(
                List.of(new FieldSpec("plan", FieldType.STRING, false),
                        new FieldSpec("tenure", FieldType.DOUBLE, true)),
                Mode.JSON, false);
        List<Object> records = parseRecords("""
                {"records":[
                  {"zz": 1, "tenure": "x", "aa": 2},
                  {"plan": "ok", "tenure": 3},
                  {"tenure": NaN},
                  "oops"]}""");

        BadInputException e = catchThrowableOfType(BadInputException.class, () -> validator.convertAll(records));

        assertThat(e).hasMessage("3 of 4 records are invalid");
        assertThat(e.violations()).containsExactly(
                new Violation(0, "plan", "required field is missing"),
                new Violation(0, "tenure", "expected double, got string \"x\""),
                new Violation(0, "zz", "unknown field (expected one of: plan, tenure)"),
                new Violation(0, "aa", "unknown field (expected one of: plan, tenure)"),
                new Violation(2, "plan", "required field is missing"),
                new Violation(2, "tenure", "NaN is not allowed"),
                new Violation(3, null, "record is not a JSON object (got string)"));
    }

    @Test
    void convertAll_whenTextRecordsAreBad_reportsEveryViolation() {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.TEXT, true);
        Map<String, Object> first = validTextRecord();
        first.put("tenure", "n/a");
        first.put("ratio", "1e39");
        Map<String, Object> second = validTextRecord();
        Map<String, Object> third = validTextRecord();
        third.put("visits", "2147483648");
        third.put("id", "extra columns pass through");

        assertThatThrownBy(() -> validator.convertAll(List.of(first, second, third)))
                .isInstanceOf(BadInputException.class)
                .hasMessage("2 of 3 records are invalid")
                .extracting(t -> ((BadInputException) t).violations())
                .isEqualTo(List.of(
                        new Violation(0, "tenure", "cannot parse \"n/a\" as double"),
                        new Violation(0, "ratio", "out of range for float"),
                        new Violation(2, "visits", "out of range for int")));
    }

    // ---------------------------------------------------------------- construction and Spark use

    @Test
    void constructor_whenSchemaIsEmptyOrRepeatsAName_refusesIt() {
        assertThatThrownBy(() -> new RecordValidator(List.of(), Mode.JSON, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("schema has no fields");
        assertThatThrownBy(() -> new RecordValidator(List.of(
                new FieldSpec("a", FieldType.INT, true), new FieldSpec("a", FieldType.LONG, true)),
                Mode.JSON, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("schema lists field 'a' twice");
    }

    @Test
    void validator_whenJavaSerializedLikeASparkClosure_stillConverts() throws Exception {
        RecordValidator validator = new RecordValidator(ALL_TYPES, Mode.TEXT, false);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(validator);
        }

        RecordValidator copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (RecordValidator) in.readObject();
        }

        assertThat(convertOk(copy, validTextRecord())).containsExactly("basic", 1.5d, 0.5f, 2, 3L, true, null);
        Map<String, Object> bad = validTextRecord();
        bad.put("other", "1");
        assertThat(violationsOf(copy, bad)).extracting(Violation::field).containsExactly("other");
    }

    // ---------------------------------------------------------------- helpers

    static Stream<Mode> modes() {
        return Arrays.stream(Mode.values());
    }

    private static RecordValidator validator(String name, FieldType type, boolean nullable, Mode mode) {
        return new RecordValidator(List.of(new FieldSpec(name, type, nullable)), mode, false);
    }

    private static Map<String, Object> validRecord() {
        return record("plan", "basic", "tenure", 1.5, "ratio", 0.5, "visits", 2, "bytes", 3, "active", true);
    }

    private static Map<String, Object> validTextRecord() {
        return record("plan", "basic", "tenure", "1.5", "ratio", "0.5", "visits", "2", "bytes", "3",
                "active", "true");
    }

    /** A mutable, ordered map from alternating names and values (values may be null). */
    private static Map<String, Object> record(Object... namesAndValues) {
        Map<String, Object> record = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            record.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return record;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parseObject(String json) throws Exception {
        return new HashMap<>(Json.MAPPER.readValue(json, Map.class));
    }

    /** The "records" array of a request body, parsed the way the API reads it. */
    @SuppressWarnings("unchecked")
    private static List<Object> parseRecords(String json) throws Exception {
        Map<String, Object> body = Json.MAPPER.readValue(json, Map.class);
        return (List<Object>) body.get("records");
    }

    private static List<Violation> violationsOf(RecordValidator validator, Map<String, Object> record) {
        List<Violation> violations = new ArrayList<>();
        Object[] row = validator.convert(0, record, violations);
        assertThat(row).as("row of an invalid record").isNull();
        return violations;
    }

    private static Object[] convertOk(RecordValidator validator, Map<String, Object> record) {
        List<Violation> violations = new ArrayList<>();
        Object[] row = validator.convert(0, record, violations);
        assertThat(violations).isEmpty();
        return row;
    }

    private static void assertResult(RecordValidator validator, Map<String, Object> record,
                                     Object expected, String reason) {
        List<Violation> violations = new ArrayList<>();
        Object[] row = validator.convert(0, record, violations);
        if (reason == null) {
            assertThat(violations).isEmpty();
            assertThat(row).containsExactly(expected);
        } else {
            assertThat(row).isNull();
            assertThat(violations).containsExactly(new Violation(0, "x", reason));
        }
    }
}
