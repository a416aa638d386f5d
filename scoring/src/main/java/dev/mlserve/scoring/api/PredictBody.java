package dev.mlserve.scoring.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.schema.TypedRecords;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A prediction request body in any shape the API accepts, mapped onto one list of records:
 *
 * <ul>
 *   <li>{@code {"records": [{...}], "version"?, "outputs"?}} (our own);
 *   <li>MLflow scoring-server bodies: {@code dataframe_split} ({@code {columns, data}}),
 *       {@code dataframe_records}, {@code instances} (a list of objects) and {@code inputs} (a list of
 *       objects or a columnar object {@code {"col": [v0, v1]}}), each with optional version/outputs;
 *   <li>{@code text/csv} with a header row: every cell is text, parsed by the field type
 *       (docs/validation.md); version and outputs come from elsewhere (e.g. query parameters).
 * </ul>
 *
 * <p>Knows nothing of HTTP or Lambda: the CLI and the Lambda handler both use it.
 *
 * @param records parsed JSON values (JSON bodies) or maps of column name to cell text (CSV)
 * @param version the requested bundle version, or null for the current one
 * @param outputs the requested output columns, or empty for the bundle's outputs
 * @param values how field values arrive: JSON values, or text cells to parse (CSV)
 * @param format the body's shape: records, dataframe_split, dataframe_records, instances, inputs or csv
 */
public record PredictBody(List<Object> records, String version, List<String> outputs, RecordValidator.Mode values,
                          String format) {

    public static final String CSV = "csv";
    /** The top-level keys that carry records; a JSON body has exactly one of them. */
    public static final List<String> RECORD_KEYS = List.of("records", "dataframe_split", "dataframe_records",
            "instances", "inputs");
    private static final List<String> OPTION_KEYS = List.of("version", "outputs");
    private static final String KEYS_TEXT = "records, dataframe_split, dataframe_records, instances or inputs";

    public PredictBody {
        // Not List.copyOf: a null record is data (the validator reports it), not a programming error.
        records = Collections.unmodifiableList(new ArrayList<>(records));
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    /**
     * Parses a body by its content type: {@code text/csv} (any letter case, any parameters) as CSV
     * with a header row, anything else as JSON.
     *
     * @throws BadInputException for malformed JSON or CSV, or a JSON body of no accepted shape
     */
    public static PredictBody parse(String body, String contentType) {
        if (isCsv(contentType)) {
            if (body == null || body.isBlank()) {
                throw new BadInputException("request body is empty",
                        List.of(new Violation(-1, null, "expected CSV text with a header row")));
            }
            return new PredictBody(new ArrayList<>(CsvRecords.parse(body)), null, List.of(),
                    RecordValidator.Mode.TEXT, CSV);
        }
        return fromJson(readJson(body));
    }

    /**
     * Parses a request body as JSON.
     *
     * @throws BadInputException for an empty body, malformed JSON (naming line and column), content
     *     after the JSON value, or nesting deeper than {@link Json#MAX_NESTING_DEPTH}
     */
    static JsonNode readJson(String body) {
        if (body == null || body.isBlank()) {
            throw new BadInputException("request body is empty",
                    List.of(new Violation(-1, null, "expected a JSON object with one of " + KEYS_TEXT)));
        }
        try {
            return Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            // A parser limit (nesting depth, number length) is not a syntax error and has no location.
            JsonLocation at = e.getLocation();
            throw new BadInputException(e instanceof StreamConstraintsException ? "request body is over a JSON limit"
                    : "request body is not valid JSON", List.of(new Violation(-1, null, Json.problem(e)
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()))));
        }
    }

    /** True for {@code text/csv}, with or without parameters such as {@code ; charset=utf-8}. */
    public static boolean isCsv(String contentType) {
        return "text/csv".equals(mediaType(contentType));
    }

    /**
     * True for the content types the API reads: {@code application/json} and {@code text/csv}, in
     * any letter case and with any parameters. Anything else, or no Content-Type at all, is
     * refused (415) before the body is read, as MLflow's scoring server does: a web page can post
     * {@code text/plain} or form data to a local server without the browser asking first, but not
     * these.
     */
    public static boolean isAcceptedContentType(String contentType) {
        String media = mediaType(contentType);
        return "application/json".equals(media) || "text/csv".equals(media);
    }

    /** The 415 message for a content type {@link #isAcceptedContentType} refuses. */
    public static String unsupportedContentType(String contentType) {
        return (contentType == null ? "request has no Content-Type"
                : "Content-Type '" + Violation.shown(contentType) + "' is not supported")
                + "; send application/json or text/csv";
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    static PredictBody fromJson(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new BadInputException("request body must be a JSON object",
                    List.of(new Violation(-1, null, "expected a JSON object with one of " + KEYS_TEXT)));
        }
        List<Violation> problems = new ArrayList<>();
        List<String> present = new ArrayList<>();
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (RECORD_KEYS.contains(name)) {
                present.add(name);
            } else if (!OPTION_KEYS.contains(name)) {
                problems.add(new Violation(-1, name, "unknown key (expected one of " + KEYS_TEXT
                        + ", with optional version and outputs)"));
            }
        }
        if (present.size() != 1) {
            problems.add(new Violation(-1, present.isEmpty() ? "records" : String.join(", ", present),
                    present.isEmpty() ? "is missing (give one of " + KEYS_TEXT + ")"
                            : "give only one of " + KEYS_TEXT));
        }
        if (!problems.isEmpty()) {
            throw new BadInputException("request is malformed", problems);
        }
        String format = present.get(0);
        ArrayNode records = MlflowBodies.toRecords(format, root.get(format), problems);
        List<Object> list = new ArrayList<>();
        if (records != null) {
            for (JsonNode r : records) {
                list.add(Json.MAPPER.convertValue(r, Object.class));
            }
        }
        String version = version(root.get("version"), problems);
        List<String> outputs = outputs(root.get("outputs"), problems);
        if (!problems.isEmpty()) {
            throw new BadInputException("request is malformed", problems);
        }
        return new PredictBody(list, version, outputs, RecordValidator.Mode.JSON, format);
    }

    private static String version(JsonNode v, List<Violation> problems) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual() || v.isIntegralNumber()) {
            return v.asText();
        }
        problems.add(new Violation(-1, "version", "must be a string"));
        return null;
    }

    private static List<String> outputs(JsonNode o, List<Violation> problems) {
        List<String> outputs = new ArrayList<>();
        if (o == null || o.isNull()) {
            return outputs;
        }
        if (!o.isArray()) {
            problems.add(new Violation(-1, "outputs", "must be an array of column names"));
            return outputs;
        }
        for (JsonNode n : o) {
            if (!n.isTextual()) {
                problems.add(new Violation(-1, "outputs", "must be an array of column names"));
                break;
            }
            outputs.add(n.asText());
        }
        return outputs;
    }

    /**
     * Checks every record against the bundle's input schema once (unknown fields refused, as for
     * every API request; CSV cells parsed as text): the typed rows are what is scored inline, and
     * their JSON form what is staged for a batch job.
     *
     * @throws BadInputException when there are no records, or naming the bad records and fields (the
     *     first {@link BadInputException#MAX_DETAILS} problems, the rest counted)
     */
    public TypedRecords validated(List<FieldSpec> schema) {
        return TypedRecords.validate(schema, values, records);
    }

    /** The same body with another version and output selection. */
    public PredictBody with(String newVersion, List<String> newOutputs) {
        return new PredictBody(records, newVersion, newOutputs, values, format);
    }
}
