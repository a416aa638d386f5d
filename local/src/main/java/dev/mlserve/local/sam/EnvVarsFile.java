package dev.mlserve.local.sam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code sam local invoke --env-vars} file: {@code {"Parameters": {...}, "<LogicalId>": {...}}}.
 * "Parameters" applies to every function; a function's own entry wins over it.
 */
public final class EnvVarsFile {
    public static final String ALL_FUNCTIONS = "Parameters";

    private final JsonNode root;

    private EnvVarsFile(JsonNode root) {
        this.root = root;
    }

    public static EnvVarsFile empty() {
        return new EnvVarsFile(Json.MAPPER.createObjectNode());
    }

    public static EnvVarsFile load(Path file) throws IOException {
        JsonNode root = Json.MAPPER.readTree(file.toFile());
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + " is not a JSON object like {\"Parameters\": {...}, "
                    + "\"MyFunction\": {...}}");
        }
        return new EnvVarsFile(root);
    }

    public static EnvVarsFile parse(String json) throws IOException {
        return new EnvVarsFile(Json.MAPPER.readTree(json));
    }

    /** The values for one function: "Parameters" first, then its own entry on top. */
    public Map<String, String> overridesFor(String logicalId) {
        Map<String, String> values = new LinkedHashMap<>();
        copy(root.path(ALL_FUNCTIONS), values);
        copy(root.path(logicalId), values);
        return values;
    }

    private static void copy(JsonNode section, Map<String, String> into) {
        section.fields().forEachRemaining(e -> {
            if (!e.getValue().isNull() && e.getValue().isValueNode()) {
                into.put(e.getKey(), e.getValue().asText());
            }
        });
    }
}
