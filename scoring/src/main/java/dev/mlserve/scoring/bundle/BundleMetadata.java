package dev.mlserve.scoring.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The contents of bundle.json. Names are part of the public format (docs/model-bundle.md).
 *
 * @param outputs the columns answered by default; never empty once a bundle is written
 * @param metrics holdout metrics recorded by training (may be empty)
 * @param source where the pipeline came from when it was imported (say MLflow's run id and model
 *     uuid); empty, and left out of bundle.json, for bundles trained or wrapped here
 */
@JsonPropertyOrder({"name", "version", "sparkVersion", "createdAt", "inputSchema", "outputs", "metrics", "source"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BundleMetadata(String name, String version, String sparkVersion, String createdAt,
                             List<FieldSpec> inputSchema, List<String> outputs, Map<String, Double> metrics,
                             @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Object> source) {

    /** Model names and versions: safe as one S3 key or path segment, never a path trick. */
    public static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public BundleMetadata {
        requireSegment("name", name);
        requireSegment("version", version);
        Objects.requireNonNull(inputSchema, "inputSchema");
        if (inputSchema.isEmpty()) {
            throw new IllegalArgumentException("inputSchema is empty");
        }
        List<String> seen = new ArrayList<>();
        for (FieldSpec f : inputSchema) {
            if (seen.contains(f.name())) {
                throw new IllegalArgumentException("inputSchema lists field '" + f.name() + "' twice");
            }
            seen.add(f.name());
        }
        inputSchema = List.copyOf(inputSchema);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        metrics = metrics == null ? Map.of() : new LinkedHashMap<>(metrics);
        source = source == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(source));
    }

    /** A bundle without a recorded source. */
    public BundleMetadata(String name, String version, String sparkVersion, String createdAt,
                          List<FieldSpec> inputSchema, List<String> outputs, Map<String, Double> metrics) {
        this(name, version, sparkVersion, createdAt, inputSchema, outputs, metrics, null);
    }

    private static void requireSegment(String what, String value) {
        if (value == null || !NAME_PATTERN.matcher(value).matches() || value.contains("..")) {
            throw new IllegalArgumentException("bundle " + what + " '" + value
                    + "' is not valid: use letters, digits, '.', '_' or '-' (at most 128, no '..')");
        }
    }

    /** The Spark schema records are turned into before transform. */
    public StructType sparkSchema() {
        StructType schema = new StructType();
        for (FieldSpec f : inputSchema) {
            schema = schema.add(f.sparkField(f.nullable()));
        }
        return schema;
    }

    /** The input schema from a Spark schema (a DDL string or a sample file's schema). */
    public static List<FieldSpec> fieldsOf(StructType schema) {
        List<FieldSpec> fields = new ArrayList<>();
        for (StructField f : schema.fields()) {
            FieldType type = FieldType.fromSparkType(f.dataType());
            int size = f.dataType().equals(FieldType.VECTOR.sparkType())
                    ? org.apache.spark.ml.attribute.AttributeGroup.fromStructField(f).size() : -1;
            fields.add(new FieldSpec(f.name(), type, f.nullable(), size >= 0 ? Integer.valueOf(size) : null));
        }
        return fields;
    }

    public BundleMetadata withOutputs(List<String> newOutputs) {
        return new BundleMetadata(name, version, sparkVersion, createdAt, inputSchema, newOutputs, metrics, source);
    }

    public BundleMetadata withSource(Map<String, Object> newSource) {
        return new BundleMetadata(name, version, sparkVersion, createdAt, inputSchema, outputs, metrics, newSource);
    }
}
