package dev.mlserve.scoring.bundle;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;

/**
 * One input field of a bundle: {"name": "tenure", "type": "double", "nullable": true}; a vector
 * field may also give its {@code size}, which every value must have and which Spark's stages see
 * as the column's ML attributes (as a column read from libsvm or after VectorSizeHint carries).
 *
 * @param size the vector's size, or null: any size (never set for other types)
 */
public record FieldSpec(String name, FieldType type, boolean nullable, Integer size) implements java.io.Serializable {
    public FieldSpec {
        Objects.requireNonNull(name, "field name");
        Objects.requireNonNull(type, "field type");
        if (name.isBlank()) {
            throw new IllegalArgumentException("field name is blank");
        }
        if (size != null && (type != FieldType.VECTOR || size < 0)) {
            throw new IllegalArgumentException("field '" + name + "': a size is given only for a vector, and is >= 0");
        }
    }

    public FieldSpec(String name, FieldType type, boolean nullable) {
        this(name, type, nullable, null);
    }

    /** The same field with this vector size. */
    public FieldSpec withSize(Integer newSize) {
        return new FieldSpec(name, type, nullable, newSize);
    }

    /**
     * The field as Spark sees it before transform, nullable as given: a sized vector carries the
     * ML attribute group of its size, so that stages needing it (VectorAssembler) plan without
     * looking at a first row.
     */
    public StructField sparkField(boolean asNullable) {
        Metadata metadata = size == null ? Metadata.empty()
                : new AttributeGroup(name, size).toMetadata();
        return new StructField(name, type.sparkType(), asNullable, metadata);
    }

    @JsonCreator
    static FieldSpec fromJson(@JsonProperty("name") String name, @JsonProperty("type") String type,
                              @JsonProperty("nullable") Boolean nullable, @JsonProperty("size") Integer size) {
        if (name == null) {
            throw new IllegalArgumentException("inputSchema entry lacks \"name\"");
        }
        if (type == null) {
            throw new IllegalArgumentException("inputSchema entry '" + name + "' lacks \"type\"");
        }
        return new FieldSpec(name, FieldType.fromJsonName(type), nullable == null || nullable, size);
    }

    @JsonValue
    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        json.put("type", type.jsonName());
        json.put("nullable", nullable);
        if (size != null) {
            json.put("size", size);
        }
        return json;
    }
}
