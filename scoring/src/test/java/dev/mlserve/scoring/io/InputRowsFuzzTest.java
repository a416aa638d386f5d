package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The rows of an uploaded file as the upload path validates them, without a Spark job: the
 * partition functions {@link InputReader} runs over JSON Lines lines and over CSV rows (cells as
 * Spark's CSV reader gives them, or a malformed line). Every row comes out, either with typed
 * values or with a non-empty JSON list of errors and its original text; any exception is a finding.
 * Seeds: InputRowsFuzzTestInputs/ in test resources.
 */
class InputRowsFuzzTest {
    private static final List<FieldSpec> SCHEMA = List.of(
            new FieldSpec("plan", FieldType.STRING, false),
            new FieldSpec("tenure", FieldType.DOUBLE, true),
            new FieldSpec("charges", FieldType.FLOAT, true),
            new FieldSpec("calls", FieldType.INT, true),
            new FieldSpec("id", FieldType.LONG, true),
            new FieldSpec("autopay", FieldType.BOOLEAN, true));
    private static final int FIELDS = SCHEMA.size();

    /** A file's bytes as UTF-8 text, cut into lines and blank lines dropped, as the reader does. */
    @FuzzTest(maxDuration = "2m")
    void jsonLines(byte[] file) {
        List<Row> lines = new ArrayList<>();
        for (String line : new String(file, StandardCharsets.UTF_8).split("\r?\n", -1)) {
            if (!line.strip().isEmpty()) {
                lines.add(RowFactory.create(line));
            }
        }
        InputReader.ValidateJsonLines validate = new InputReader.ValidateJsonLines(
                new RecordValidator(SCHEMA, RecordValidator.Mode.JSON, true), FIELDS, null, FIELDS + 2);
        List<Row> out = drain(validate.call(lines.iterator()));
        assertThat(out).hasSameSizeAs(lines);
        for (Row row : out) {
            assertThat(row.length()).isEqualTo(FIELDS + 2);
            assertThat(row.get(FIELDS + 1)).as("the original line is kept").isNotNull();
            checkErrors(row.getString(FIELDS));
        }
    }

    /** A header of up to 8 names and rows of cells (or a malformed line), in text mode. */
    @FuzzTest(maxDuration = "2m")
    void csvCells(FuzzedDataProvider data) {
        String[] names = {"plan", "tenure", "charges", "calls", "id", "autopay", "extra", "Plan"};
        int columns = data.consumeInt(1, 8);
        List<String> header = new ArrayList<>();
        for (int i = 0; i < columns; i++) {
            String name = data.consumeBoolean() ? data.pickValue(names) : data.consumeString(8);
            if (!header.contains(name)) {
                header.add(name);
            }
        }
        List<String> out = new ArrayList<>(header);
        for (FieldSpec f : SCHEMA) {
            if (!out.contains(f.name())) {
                out.add(f.name());
            }
        }
        int[] typed = out.stream().mapToInt(c -> SCHEMA.stream().map(FieldSpec::name).toList().indexOf(c)).toArray();
        List<Row> rows = new ArrayList<>();
        while (data.remainingBytes() > 0 && rows.size() < 100) {
            Object[] cells = new Object[header.size() + 1];
            if (data.consumeInt(0, 9) == 0) {
                cells[header.size()] = data.consumeString(40);
            } else {
                for (int i = 0; i < header.size(); i++) {
                    cells[i] = data.consumeInt(0, 7) == 0 ? null : data.consumeString(24);
                }
            }
            rows.add(RowFactory.create(cells));
        }
        InputReader.ValidateColumns validate = new InputReader.ValidateColumns(
                new RecordValidator(SCHEMA, RecordValidator.Mode.TEXT, true), header.toArray(String[]::new),
                out.toArray(String[]::new), typed, true, null, out.size() + 2);
        List<Row> result = drain(validate.call(rows.iterator()));
        assertThat(result).hasSameSizeAs(rows);
        for (Row row : result) {
            assertThat(row.length()).isEqualTo(out.size() + 2);
            String errors = row.getString(out.size());
            checkErrors(errors);
            if (errors != null) {
                assertThat(row.get(out.size() + 1)).as("a rejected row keeps its original").isNotNull();
            }
        }
    }

    /** Null (a valid row) or a non-empty JSON list of {field, reason} with a reason each. */
    private static void checkErrors(String errors) {
        if (errors == null) {
            return;
        }
        JsonNode list;
        try {
            list = Json.MAPPER.readTree(errors);
        } catch (Exception e) {
            throw new AssertionError("errors are not JSON: " + errors, e);
        }
        assertThat(list.isArray() && list.size() > 0).as(errors).isTrue();
        list.forEach(e -> assertThat(e.path("reason").asText()).isNotEmpty());
    }

    private static List<Row> drain(Iterator<Row> rows) {
        List<Row> out = new ArrayList<>();
        rows.forEachRemaining(out::add);
        return out;
    }
}
