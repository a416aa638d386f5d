package dev.mlserve.scoring.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MLflow scoring-server bodies as a records array (one JSON object per record). Problems are
 * appended to the given list, with the record index where there is one; elements that are not
 * objects are left for the record validator to name.
 */
final class MlflowBodies {
    private MlflowBodies() {
    }

    static ArrayNode toRecords(String format, JsonNode value, List<Violation> problems) {
        return switch (format) {
            case "records", "dataframe_records", "instances" -> array(format, value, problems);
            case "dataframe_split" -> split(value, problems);
            case "inputs" -> value != null && value.isObject() ? columnar(value, problems) : array(format, value, problems);
            default -> throw new IllegalArgumentException("not a records key: " + format);
        };
    }

    private static ArrayNode array(String key, JsonNode value, List<Violation> problems) {
        if (value != null && value.isArray()) {
            return (ArrayNode) value;
        }
        problems.add(new Violation(-1, key, "must be an array of objects"
                + (key.equals("inputs") ? " or an object of equal-length column arrays" : "")));
        return Json.MAPPER.createArrayNode();
    }

    /** pandas' split orient: {"columns": [...], "data": [[...], ...], "index"?: [...]}. */
    private static ArrayNode split(JsonNode value, List<Violation> problems) {
        ArrayNode records = Json.MAPPER.createArrayNode();
        if (value == null || !value.isObject()) {
            problems.add(new Violation(-1, "dataframe_split", "must be an object with \"columns\" and \"data\""));
            return records;
        }
        List<String> columns = columnNames(value.get("columns"), problems);
        JsonNode data = value.get("data");
        if (data == null || !data.isArray()) {
            problems.add(new Violation(-1, "dataframe_split.data", data == null ? "is missing"
                    : "must be an array of rows (arrays of values)"));
            return records;
        }
        if (columns == null) {
            return records;
        }
        int index = 0;
        for (JsonNode row : data) {
            if (!row.isArray()) {
                problems.add(new Violation(index, null, "row is not a JSON array (got " + kind(row) + ")"));
            } else if (row.size() != columns.size()) {
                problems.add(new Violation(index, null, "row has " + row.size() + " values for "
                        + columns.size() + " columns"));
            } else {
                ObjectNode record = Json.MAPPER.createObjectNode();
                for (int i = 0; i < columns.size(); i++) {
                    record.set(columns.get(i), row.get(i));
                }
                records.add(record);
            }
            index++;
        }
        return records;
    }

    private static List<String> columnNames(JsonNode columns, List<Violation> problems) {
        if (columns == null || !columns.isArray()) {
            problems.add(new Violation(-1, "dataframe_split.columns", columns == null ? "is missing"
                    : "must be an array of column names"));
            return null;
        }
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode c : columns) {
            if (!c.isTextual()) {
                problems.add(new Violation(-1, "dataframe_split.columns", "must be an array of column names"));
                return null;
            }
            if (!seen.add(c.asText())) {
                problems.add(new Violation(-1, "dataframe_split.columns", "column '" + Violation.shown(c.asText()) + "' appears twice"));
                return null;
            }
            names.add(c.asText());
        }
        return names;
    }

    /** {"inputs": {"col": [v0, v1], ...}}: record i takes element i of every column. */
    private static ArrayNode columnar(JsonNode value, List<Violation> problems) {
        ArrayNode records = Json.MAPPER.createArrayNode();
        int length = -1;
        String first = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> column = it.next();
            if (!column.getValue().isArray()) {
                problems.add(new Violation(-1, column.getKey(), "columnar inputs: expected an array of values (got "
                        + kind(column.getValue()) + ")"));
                return records;
            }
            int size = column.getValue().size();
            if (length < 0) {
                length = size;
                first = column.getKey();
            } else if (size != length) {
                problems.add(new Violation(-1, column.getKey(), "columnar inputs: column has " + size
                        + " values, column '" + Violation.shown(first) + "' has " + length));
                return records;
            }
        }
        for (int i = 0; i < Math.max(length, 0); i++) {
            ObjectNode record = Json.MAPPER.createObjectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> column = it.next();
                record.set(column.getKey(), column.getValue().get(i));
            }
            records.add(record);
        }
        return records;
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "array";
            case OBJECT -> "object";
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase();
        };
    }
}
