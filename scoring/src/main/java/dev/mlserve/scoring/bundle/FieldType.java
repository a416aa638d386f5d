package dev.mlserve.scoring.bundle;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** The input field types a bundle can declare, with their Spark SQL types. */
public enum FieldType {
    STRING(DataTypes.StringType),
    DOUBLE(DataTypes.DoubleType),
    FLOAT(DataTypes.FloatType),
    INT(DataTypes.IntegerType),
    LONG(DataTypes.LongType),
    BOOLEAN(DataTypes.BooleanType);

    private final DataType sparkType;

    FieldType(DataType sparkType) {
        this.sparkType = sparkType;
    }

    public DataType sparkType() {
        return sparkType;
    }

    /** The name used in bundle.json: lower case. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FieldType fromJsonName(String name) {
        for (FieldType t : values()) {
            if (t.jsonName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported field type '" + name + "'; supported: "
                + Arrays.stream(values()).map(FieldType::jsonName).collect(Collectors.joining(", ")));
    }

    /** Maps a Spark type onto a bundle type; anything else is refused with its name. */
    public static FieldType fromSparkType(DataType type) {
        for (FieldType t : values()) {
            if (t.sparkType.equals(type)) {
                return t;
            }
        }
        // Integral narrower types widen to int; decimals to double.
        if (type.equals(DataTypes.ShortType) || type.equals(DataTypes.ByteType)) {
            return INT;
        }
        if (type instanceof org.apache.spark.sql.types.DecimalType) {
            return DOUBLE;
        }
        throw new IllegalArgumentException("Spark type " + type.simpleString()
                + " is not a supported input type (string, double, float, int, long, boolean)");
    }
}
