package dev.mlserve.scoring.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PredictBodyTest {
    private static final List<FieldSpec> SCHEMA = List.of(
            new FieldSpec("plan", FieldType.STRING, false),
            new FieldSpec("tenure", FieldType.DOUBLE, true),
            new FieldSpec("visits", FieldType.INT, true),
            new FieldSpec("autopay", FieldType.BOOLEAN, true));
    private static final List<Map<String, Object>> TWO_RECORDS = List.of(
            record("basic", 12.5, 3, true), record("pro", null, 0, false));

    @Test
    void parse_recordsBody_keepsRecordsVersionAndOutputs() {
        PredictBody body = PredictBody.parse("""
                {"records": [{"plan": "basic", "tenure": 12.5, "visits": 3, "autopay": true}],
                 "version": "2", "outputs": ["prediction"]}""", "application/json");

        assertThat(body.format()).isEqualTo("records");
        assertThat(body.version()).isEqualTo("2");
        assertThat(body.outputs()).containsExactly("prediction");
        assertThat(body.values()).isEqualTo(RecordValidator.Mode.JSON);
        assertThat(body.validated(SCHEMA).jsonRecords()).containsExactly(record("basic", 12.5, 3, true));
    }

    @Test
    void parse_dataframeSplit_mapsColumnsOntoRecords() {
        PredictBody body = PredictBody.parse("""
                {"dataframe_split": {"index": [7, 8], "columns": ["plan", "tenure", "visits", "autopay"],
                                     "data": [["basic", 12.5, 3, true], ["pro", null, 0, false]]}}""", null);

        assertThat(body.format()).isEqualTo("dataframe_split");
        assertThat(body.validated(SCHEMA).jsonRecords()).isEqualTo(TWO_RECORDS);
    }

    @Test
    void parse_dataframeSplit_whenRowLengthDiffers_answers400NamingRecord() {
        assertThatThrownBy(() -> PredictBody.parse("""
                {"dataframe_split": {"columns": ["plan", "tenure"], "data": [["basic", 1.0], ["pro"]]}}""", null))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).containsExactly(
                        new Violation(1, null, "row has 1 values for 2 columns")));
    }

    @Test
    void parse_dataframeRecords_givesTheSameRecordsAsRecords() {
        PredictBody body = PredictBody.parse("""
                {"dataframe_records": [{"plan": "basic", "tenure": 12.5, "visits": 3, "autopay": true},
                                       {"plan": "pro", "tenure": null, "visits": 0, "autopay": false}]}""", null);

        assertThat(body.format()).isEqualTo("dataframe_records");
        assertThat(body.validated(SCHEMA).jsonRecords()).isEqualTo(TWO_RECORDS);
    }

    @Test
    void parse_instancesListOfObjects_givesRecords() {
        PredictBody body = PredictBody.parse("""
                {"instances": [{"plan": "basic", "tenure": 12.5, "visits": 3, "autopay": true},
                               {"plan": "pro", "visits": 0, "autopay": false}], "version": 3}""", null);

        assertThat(body.version()).isEqualTo("3");
        assertThat(body.validated(SCHEMA).jsonRecords()).isEqualTo(TWO_RECORDS);
    }

    @Test
    void parse_inputsListOfObjects_givesRecords() {
        PredictBody body = PredictBody.parse("""
                {"inputs": [{"plan": "basic", "tenure": 12.5, "visits": 3, "autopay": true},
                            {"plan": "pro", "tenure": null, "visits": 0, "autopay": false}]}""", null);

        assertThat(body.validated(SCHEMA).jsonRecords()).isEqualTo(TWO_RECORDS);
    }

    @Test
    void parse_inputsColumnar_zipsColumnsIntoRecords() {
        PredictBody body = PredictBody.parse("""
                {"inputs": {"plan": ["basic", "pro"], "tenure": [12.5, null], "visits": [3, 0],
                            "autopay": [true, false]}}""", null);

        assertThat(body.format()).isEqualTo("inputs");
        assertThat(body.validated(SCHEMA).jsonRecords()).isEqualTo(TWO_RECORDS);
    }

    @Test
    void parse_inputsColumnar_whenLengthsDiffer_answers400NamingColumn() {
        assertThatThrownBy(() -> PredictBody.parse("{\"inputs\": {\"plan\": [\"a\", \"b\"], \"tenure\": [1.0]}}", null))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).extracting(Violation::field).containsExactly("tenure"));
    }

    @Test
    void parse_whenTwoRecordKeys_answers400() {
        assertThatThrownBy(() -> PredictBody.parse("{\"records\": [], \"instances\": []}", null))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e).get(0).reason()).startsWith("give only one of"));
    }

    @Test
    void parse_whenUnknownKey_answers400NamingIt() {
        assertThatThrownBy(() -> PredictBody.parse("{\"records\": [], \"output\": [\"prediction\"]}", null))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).extracting(Violation::field).containsExactly("output"));
    }

    @Test
    void parse_whenNoRecordKey_answers400() {
        assertThatThrownBy(() -> PredictBody.parse("{\"version\": \"1\"}", null))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).extracting(Violation::field).containsExactly("records"));
    }

    @Test
    void parse_whenBodyHasThousandsOfUnknownKeys_listsTheFirstHundredAndCountsTheRest() {
        StringBuilder body = new StringBuilder("{\"records\": []");
        for (int i = 0; i < 5_000; i++) {
            body.append(", \"k").append(i).append("\": 0");
        }

        assertThatThrownBy(() -> PredictBody.parse(body.append('}').toString(), null))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> {
                    assertThat(violations(e)).hasSize(BadInputException.MAX_DETAILS);
                    assertThat(((BadInputException) e).omitted()).isEqualTo(4_900);
                });
    }

    @Test
    void parse_whenJsonIsMalformed_answers400WithLineAndColumn() {
        assertThatThrownBy(() -> PredictBody.parse("{\"records\": [", null))
                .isInstanceOf(BadInputException.class)
                .hasMessage("request body is not valid JSON")
                .satisfies(e -> assertThat(violations(e).get(0).reason()).contains("line 1"));
    }

    @ParameterizedTest
    @ValueSource(ints = {Json.MAX_NESTING_DEPTH + 1, 5_000})
    void parse_whenNestedDeeperThanTheLimit_answers400NamingTheLimit(int depth) {
        String arrays = "{\"records\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
        String objects = "{\"a\": ".repeat(depth) + "1" + "}".repeat(depth);
        String inRecord = "{\"records\": [{\"plan\": " + "{\"a\": ".repeat(depth) + "1" + "}".repeat(depth) + "}]}";

        for (String body : List.of(arrays, objects, inRecord)) {
            assertThatThrownBy(() -> PredictBody.parse(body, "application/json"))
                    .isInstanceOf(BadInputException.class)
                    .hasMessage("request body is over a JSON limit")
                    .satisfies(e -> assertThat(violations(e)).extracting(Violation::reason)
                            .containsExactly("JSON nested deeper than " + Json.MAX_NESTING_DEPTH + " levels"));
        }
    }

    @Test
    void parse_whenNestedUpToTheLimit_leavesTheValueToTheValidator() {
        int depth = Json.MAX_NESTING_DEPTH - 3; // the body object, records array and record take 3 levels
        PredictBody body = PredictBody.parse("{\"records\": [{\"plan\": " + "[".repeat(depth) + "]".repeat(depth)
                + "}]}", null);

        assertThatThrownBy(() -> body.validated(SCHEMA))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).containsExactly(
                        new Violation(0, "plan", "expected string, got array")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"records\": []} junk", "{\"records\": []}{\"x\": 1}", "{\"records\": []} []"})
    void parse_whenContentFollowsTheJsonValue_answers400(String body) {
        assertThatThrownBy(() -> PredictBody.parse(body, "application/json"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("request body is not valid JSON")
                .satisfies(e -> assertThat(violations(e).get(0).reason()).contains("line 1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "Application/JSON; charset=utf-8", "text/csv", "TEXT/CSV;header=present"})
    void isAcceptedContentType_jsonOrCsvInAnyCaseWithParameters_isTrue(String contentType) {
        assertThat(PredictBody.isAcceptedContentType(contentType)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/jsonx", ""})
    void isAcceptedContentType_whatABrowserMayPostWithoutAsking_isFalse(String contentType) {
        assertThat(PredictBody.isAcceptedContentType(contentType)).isFalse();
        assertThat(PredictBody.isAcceptedContentType(null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/csv", "Text/CSV; charset=utf-8", " text/csv ;header=present"})
    void parse_csvContentTypeInAnyCase_readsHeaderAndTextCells(String contentType) {
        PredictBody body = PredictBody.parse("plan,tenure,visits,autopay\r\nbasic,12.5,3,TRUE\r\npro,,0,false\r\n",
                contentType);

        assertThat(body.format()).isEqualTo("csv");
        assertThat(body.values()).isEqualTo(RecordValidator.Mode.TEXT);
        assertThat(body.records()).hasSize(2);
        assertThat(body.validated(SCHEMA).jsonRecords()).isEqualTo(TWO_RECORDS);
    }

    @Test
    void parse_csvWithQuotes_keepsCommasQuotesAndLineBreaksInsideCells() {
        PredictBody body = PredictBody.parse("plan,note\n\"a, \"\"b\"\"\",\"two\nlines\"\n\"\",x\n\n", "text/csv");

        assertThat(body.records()).containsExactly(
                Map.of("plan", "a, \"b\"", "note", "two\nlines"),
                Map.of("plan", "", "note", "x"));
    }

    @Test
    void parse_csvEmptyUnquotedCell_isNull() {
        PredictBody body = PredictBody.parse("plan,tenure\nbasic,\n", "text/csv");

        Map<?, ?> record = (Map<?, ?>) body.records().get(0);
        assertThat(record.containsKey("tenure")).isTrue();
        assertThat(record.get("tenure")).isNull();
    }

    @Test
    void parse_csvRowWithWrongCellCount_answers400NamingRow() {
        assertThatThrownBy(() -> PredictBody.parse("plan,tenure\nbasic,1\npro\n", "text/csv"))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).containsExactly(
                        new Violation(1, null, "row has 1 cells, the header has 2")));
    }

    @Test
    void validated_csvCellThatIsNotANumber_answers400WithRecordAndField() {
        PredictBody body = PredictBody.parse("plan,tenure\nbasic,1\npro,n/a\n", "text/csv");

        assertThatThrownBy(() -> body.validated(SCHEMA))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).containsExactly(
                        new Violation(1, "tenure", "cannot parse \"n/a\" as double")));
    }

    @Test
    void validated_jsonFieldWithWrongType_answers400WithFieldName() {
        PredictBody body = PredictBody.parse("{\"records\": [{\"plan\": \"basic\", \"tenure\": \"12\"}]}", null);

        assertThatThrownBy(() -> body.validated(SCHEMA))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(violations(e)).containsExactly(
                        new Violation(0, "tenure", "expected double, got string \"12\"")));
    }

    @Test
    void validated_withNoRecords_answers400() {
        PredictBody body = PredictBody.parse("{\"records\": []}", null);

        assertThatThrownBy(() -> body.validated(SCHEMA))
                .isInstanceOf(BadInputException.class)
                .hasMessage("request has no records");
    }

    private static List<Violation> violations(Throwable e) {
        return ((BadInputException) e).violations();
    }

    private static Map<String, Object> record(String plan, Double tenure, Integer visits, Boolean autopay) {
        Map<String, Object> m = new HashMap<>(); // Map.of refuses the nulls a record may hold
        m.put("plan", plan);
        m.put("tenure", tenure);
        m.put("visits", visits);
        m.put("autopay", autopay);
        return m;
    }
}
