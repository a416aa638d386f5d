package dev.mlserve.scoring.fast;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Compile-time state: the slot of every column so far, and the schema Spark would see at this
 * stage (types decide casts, vector sizes come from ML attribute metadata, as in Spark).
 */
final class Layout {
    private final Map<String, Integer> slots = new LinkedHashMap<>();
    private final Map<String, Integer> vectorSizes = new java.util.HashMap<>();
    private StructType schema;

    Layout(StructType input) {
        this.schema = input;
        for (String name : input.fieldNames()) {
            slots.put(name, slots.size());
        }
    }

    int slot(String column) {
        Integer s = slots.get(column);
        if (s == null) {
            throw new UnsupportedStage("column '" + column + "' is not produced before this stage");
        }
        return s;
    }

    StructField field(String column) {
        slot(column);
        return schema.apply(column);
    }

    DataType type(String column) {
        return field(column).dataType();
    }

    /** The slot for a column this stage writes (Spark replaces a column of the same name). */
    int output(String column) {
        return slots.computeIfAbsent(column, c -> slots.size());
    }

    /** Moves on to the schema after the stage, as {@code transformSchema} computes it. */
    void advance(Transformer stage) {
        schema = stage.transformSchema(schema);
    }

    /** Records the size of a vector column a compiled stage produces. */
    void vectorSize(String column, int size) {
        vectorSizes.put(column, size);
    }

    /**
     * The size of a vector column: as recorded by the stage that made it (what Spark puts in the
     * column's ML attributes at transform time), else from the schema's attributes, else -1.
     */
    int vectorSize(String column) {
        Integer known = vectorSizes.get(column);
        return known != null ? known : org.apache.spark.ml.attribute.AttributeGroup.fromStructField(field(column)).size();
    }

    Map<String, Integer> slots() {
        return slots;
    }
}
