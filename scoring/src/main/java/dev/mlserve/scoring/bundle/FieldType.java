package dev.mlserve.scoring.bundle;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The input field types a bundle can declare, with their Spark SQL types: the scalars, Spark ML's
 * {@code vector}, arrays of strings and of doubles, {@code date} and {@code timestamp}
 * (docs/model-bundle.md gives each one's JSON, CSV and Parquet forms).
 */
public enum FieldType {
    STRING("string", DataTypes.StringType),
    DOUBLE("double", DataTypes.DoubleType),
    FLOAT("float", DataTypes.FloatType),
    INT("int", DataTypes.IntegerType),
    LONG("long", DataTypes.LongType),
    BOOLEAN("boolean", DataTypes.BooleanType),
    /** Spark ML's {@code org.apache.spark.ml.linalg.Vector} (VectorUDT), dense or sparse. */
    VECTOR("vector", SQLDataTypes.VectorType()),
    ARRAY_STRING("array<string>", DataTypes.createArrayType(DataTypes.StringType, true)),
    ARRAY_DOUBLE("array<double>", DataTypes.createArrayType(DataTypes.DoubleType, true)),
    DATE("date", DataTypes.DateType),
    /** An instant: Spark's {@code TIMESTAMP} (with local time zone); text without an offset is UTC. */
    TIMESTAMP("timestamp", DataTypes.TimestampType);

    /** The field names of a vector's SQL form ({@code VectorUDT.sqlType}), as Spark's JSON writes it. */
    private static final Set<String> VECTOR_STRUCT_FIELDS = Set.of("type", "size", "indices", "values");

    private final String jsonName;
    private final DataType sparkType;

    FieldType(String jsonName, DataType sparkType) {
        this.jsonName = jsonName;
        this.sparkType = sparkType;
    }

    public DataType sparkType() {
        return sparkType;
    }

    /** The name used in bundle.json: lower case, {@code array<string>} for arrays. */
    public String jsonName() {
        return jsonName;
    }

    /** True for the types whose values are JSON arrays or objects (a JSON text in a CSV cell). */
    public boolean nested() {
        return this == VECTOR || this == ARRAY_STRING || this == ARRAY_DOUBLE;
    }

    public static FieldType fromJsonName(String name) {
        String wanted = name == null ? null : name.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        for (FieldType t : values()) {
            if (t.jsonName.equals(wanted)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported field type '" + name + "'; supported: " + supported());
    }

    /**
     * Maps a Spark type onto a bundle type; anything else is refused with its name. Narrower
     * integers widen to int and decimals to double; a struct with the fields of a vector's SQL
     * form (what a JSON sample written by Spark infers to) is a vector; an array of any number type
     * is {@code array<double>}.
     */
    public static FieldType fromSparkType(DataType type) {
        for (FieldType t : values()) {
            if (t.sparkType.equals(type)) {
                return t;
            }
        }
        if (type.equals(DataTypes.ShortType) || type.equals(DataTypes.ByteType)) {
            return INT;
        }
        if (type instanceof org.apache.spark.sql.types.DecimalType) {
            return DOUBLE;
        }
        if (type instanceof ArrayType array) {
            DataType element = array.elementType();
            if (element.equals(DataTypes.StringType)) {
                return ARRAY_STRING;
            }
            if (element instanceof org.apache.spark.sql.types.NumericType) {
                return ARRAY_DOUBLE;
            }
        }
        if (type instanceof StructType struct && isVectorStruct(struct)) {
            return VECTOR;
        }
        throw new IllegalArgumentException("Spark type " + type.simpleString()
                + " is not a supported input type (" + supported() + ")");
    }

    /** A struct whose fields are those of a vector's SQL form: {type, size, indices, values}, or some of them. */
    static boolean isVectorStruct(StructType struct) {
        if (struct.fields().length == 0) {
            return false;
        }
        boolean hasValues = false;
        for (StructField f : struct.fields()) {
            if (!VECTOR_STRUCT_FIELDS.contains(f.name())) {
                return false;
            }
            hasValues |= f.name().equals("values");
        }
        return hasValues;
    }

    private static String supported() {
        return Arrays.stream(values()).map(FieldType::jsonName).collect(Collectors.joining(", "));
    }
}
