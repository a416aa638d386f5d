package dev.mlserve.scoring.score;

import dev.mlserve.scoring.bundle.BundleMetadata;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The one scoring interface: records in, predictions out; Dataset in, Dataset out. Inline
 * requests, file scoring and the EMR batch job all go through it, so a faster implementation
 * (a row-level fast path) can slot in behind it.
 */
public interface Scorer {

    BundleMetadata metadata();

    /** Columns a caller may ask for: everything the pipeline adds to the input. */
    List<String> availableOutputs();

    /**
     * Validates and scores records (parsed JSON objects), answering one map per record, in order,
     * holding the selected output columns as JSON-ready values (vectors as double arrays).
     *
     * @param outputs the columns to answer, or null/empty for the bundle's outputs
     * @throws dev.mlserve.scoring.error.BadInputException listing every bad record and field
     */
    List<Map<String, Object>> predict(List<?> records, List<String> outputs);

    /**
     * Runs the pipeline over rows whose bundle fields already have the bundle's types; other
     * columns pass through. Answers the input columns plus every pipeline column.
     */
    Dataset<Row> transform(Dataset<Row> input);
}
