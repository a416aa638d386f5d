package dev.mlserve.scoring.bundle;

import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.InputReader;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Where an input schema comes from when wrapping a pipeline: a Spark DDL string or a sample file. */
public final class InputSchemas {
    private InputSchemas() {
    }

    /** {@code "plan STRING NOT NULL, tenure DOUBLE"}; NOT NULL makes a field required. */
    public static StructType fromDdl(String ddl) {
        try {
            return StructType.fromDDL(ddl);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a valid Spark DDL schema: '" + ddl + "': "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** The schema Spark infers from a CSV (with header), JSON Lines or Parquet sample. */
    public static StructType fromSample(SparkSession spark, Path sample) {
        FileFormat format = FileFormat.fromFileName(sample.getFileName().toString());
        String path = sample.toAbsolutePath().toUri().toString();
        Dataset<Row> df = switch (format) {
            case CSV -> InputReader.literal(spark).option("header", "true").option("inferSchema", "true").csv(path);
            case JSONL -> InputReader.literal(spark).json(path);
            case PARQUET -> InputReader.literal(spark).parquet(path);
        };
        return df.schema();
    }
}
