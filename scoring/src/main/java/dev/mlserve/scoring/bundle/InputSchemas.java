package dev.mlserve.scoring.bundle;

import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.InputReader;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Where an input schema comes from when wrapping a pipeline: a Spark DDL string or a sample file. */
public final class InputSchemas {
    private InputSchemas() {
    }

    /**
     * The SQL form of Spark ML's vector type ({@code VectorUDT.sqlType}); {@link FieldType} maps a
     * struct of these fields back to {@code vector}.
     */
    private static final String VECTOR_SQL_TYPE = "struct<type:tinyint,size:int,indices:array<int>,values:array<double>>";
    /** A field's type written as {@code vector}: after the start or a top-level comma, a name, then the word. */
    private static final Pattern VECTOR_FIELD = Pattern.compile(
            "(^|,)(\\s*(?:`[^`]*`|[A-Za-z_][A-Za-z0-9_]*)\\s*:?\\s+)vector\\b", Pattern.CASE_INSENSITIVE);

    /**
     * {@code "plan STRING NOT NULL, tenure DOUBLE, features VECTOR, words ARRAY<STRING>, day DATE"}:
     * Spark's DDL, plus {@code VECTOR} for Spark ML's vector type; NOT NULL makes a field required.
     */
    public static StructType fromDdl(String ddl) {
        String spark = VECTOR_FIELD.matcher(ddl).replaceAll("$1$2" + VECTOR_SQL_TYPE);
        try {
            return StructType.fromDDL(spark);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a valid Spark DDL schema: '" + ddl + "': "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** The schema Spark infers from a CSV (with header), JSON Lines or Parquet sample. */
    public static StructType fromSample(SparkSession spark, Path sample) {
        return readSample(spark, sample).schema();
    }

    /**
     * A CSV (with header, types inferred), JSON Lines or Parquet sample as Spark reads it. A vector
     * column is recognized in Parquet written by Spark (its own type) and in JSON Lines written by
     * Spark (objects with type, size, indices, values); a CSV sample cannot show one: use a schema.
     */
    public static Dataset<Row> readSample(SparkSession spark, Path sample) {
        FileFormat format = FileFormat.fromFileName(sample.getFileName().toString());
        String path = sample.toAbsolutePath().toUri().toString();
        return switch (format) {
            case CSV -> InputReader.literal(spark).option("header", "true").option("inferSchema", "true").csv(path);
            case JSONL -> InputReader.literal(spark).json(path);
            case PARQUET -> InputReader.literal(spark).parquet(path);
        };
    }
}
