package dev.mlserve.scoring.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * A prediction request body: {@code {"records": [{...}], "version": "3"?, "outputs": [...]?}}.
 *
 * @param records the records as parsed JSON values (objects are maps; anything else is refused
 *     record by record by the validator)
 * @param version the requested bundle version, or null for the current one
 * @param outputs the requested output columns, or empty for the bundle's outputs
 */
public record PredictRequest(List<Object> records, String version, List<String> outputs) {

    public static PredictRequest parse(String body) {
        return fromJson(readJson(body));
    }

    /**
     * Parses a request body as JSON.
     *
     * @throws BadInputException for an empty body or malformed JSON, naming line and column
     */
    public static JsonNode readJson(String body) {
        if (body == null || body.isBlank()) {
            throw new BadInputException("request body is empty",
                    List.of(new Violation(-1, null, "expected a JSON object with \"records\"")));
        }
        try {
            return Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadInputException("request body is not valid JSON", List.of(new Violation(-1, null,
                    e.getOriginalMessage().lines().findFirst().orElse("malformed JSON") + " at line "
                            + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr())));
        }
    }

    public static PredictRequest fromJson(JsonNode root) {
        List<Violation> problems = new ArrayList<>();
        if (root == null || !root.isObject()) {
            throw new BadInputException("request body must be a JSON object",
                    List.of(new Violation(-1, null, "expected a JSON object with \"records\"")));
        }
        JsonNode records = root.get("records");
        List<Object> list = new ArrayList<>();
        if (records == null || !records.isArray()) {
            problems.add(new Violation(-1, "records", records == null ? "is missing" : "must be an array of objects"));
        } else {
            for (JsonNode r : records) {
                list.add(Json.MAPPER.convertValue(r, Object.class));
            }
        }
        String version = null;
        JsonNode v = root.get("version");
        if (v != null && !v.isNull()) {
            if (v.isTextual() || v.isIntegralNumber()) {
                version = v.asText();
            } else {
                problems.add(new Violation(-1, "version", "must be a string"));
            }
        }
        List<String> outputs = new ArrayList<>();
        JsonNode o = root.get("outputs");
        if (o != null && !o.isNull()) {
            if (!o.isArray()) {
                problems.add(new Violation(-1, "outputs", "must be an array of column names"));
            } else {
                for (JsonNode n : o) {
                    if (n.isTextual()) {
                        outputs.add(n.asText());
                    } else {
                        problems.add(new Violation(-1, "outputs", "must be an array of column names"));
                        break;
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new BadInputException("request is malformed", problems);
        }
        return new PredictRequest(list, version, outputs);
    }
}
