package dev.mlserve.scoring.fast;

import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Spark SQL's non-ANSI casts for the value types rows hold (String, Double, Float, Integer, Long,
 * Boolean, null), limited to the ones the compiled stages need.
 */
final class Casts {
    private Casts() {
    }

    /** True for the column types {@link #toDouble} handles (numeric and boolean). */
    static boolean castsToDouble(DataType type) {
        return type.equals(DataTypes.DoubleType) || type.equals(DataTypes.FloatType)
                || type.equals(DataTypes.IntegerType) || type.equals(DataTypes.LongType)
                || type instanceof BooleanType;
    }

    /** {@code cast(x AS DOUBLE)}: widening for numbers, 1.0/0.0 for booleans, null stays null. */
    static Double toDouble(Object v) {
        if (v == null || v instanceof Double) {
            return (Double) v;
        }
        if (v instanceof Float f) {
            return (double) f.floatValue();
        }
        if (v instanceof Integer i) {
            return (double) i.intValue();
        }
        if (v instanceof Long l) {
            return (double) l.longValue();
        }
        if (v instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        throw new Fallback("cannot cast " + v.getClass().getSimpleName() + " to double");
    }

    /** {@code cast(d AS type)} from double (legacy, non-ANSI: Java's narrowing conversions). */
    static Object fromDouble(double d, DataType type) {
        if (type.equals(DataTypes.DoubleType)) {
            return d;
        }
        if (type.equals(DataTypes.FloatType)) {
            return (float) d;
        }
        if (type.equals(DataTypes.IntegerType)) {
            return (int) d;
        }
        if (type.equals(DataTypes.LongType)) {
            return (long) d;
        }
        throw new UnsupportedStage("cast from double to " + type.simpleString());
    }

    /** True for the column types {@link #toText} renders as Spark's cast to string does. */
    static boolean castsToStringExactly(DataType type) {
        return type.equals(DataTypes.StringType) || type.equals(DataTypes.IntegerType)
                || type.equals(DataTypes.LongType);
    }

    /** {@code cast(x AS STRING)} for strings, ints and longs (StringIndexer refuses booleans). */
    static String toText(Object v) {
        if (v == null || v instanceof String) {
            return (String) v;
        }
        if (v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        throw new Fallback("cannot cast " + v.getClass().getSimpleName() + " to string");
    }
}
