package dev.mlserve.scoring.bundle;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** One input field of a bundle: {"name": "tenure", "type": "double", "nullable": true}. */
public record FieldSpec(String name, FieldType type, boolean nullable) implements java.io.Serializable {
    public FieldSpec {
        Objects.requireNonNull(name, "field name");
        Objects.requireNonNull(type, "field type");
        if (name.isBlank()) {
            throw new IllegalArgumentException("field name is blank");
        }
    }

    @JsonCreator
    static FieldSpec fromJson(@JsonProperty("name") String name, @JsonProperty("type") String type,
                              @JsonProperty("nullable") Boolean nullable) {
        if (name == null) {
            throw new IllegalArgumentException("inputSchema entry lacks \"name\"");
        }
        if (type == null) {
            throw new IllegalArgumentException("inputSchema entry '" + name + "' lacks \"type\"");
        }
        return new FieldSpec(name, FieldType.fromJsonName(type), nullable == null || nullable);
    }

    @JsonValue
    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        json.put("type", type.jsonName());
        json.put("nullable", nullable);
        return json;
    }
}
