package dev.mlserve.scoring.score;

import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.schema.TypedRecords;
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
     * Scores records validated against this scorer's input schema, answering one map per record,
     * in order, holding the selected output columns as JSON-ready values (vectors as double arrays).
     *
     * @param outputs the columns to answer, or null/empty for the bundle's outputs
     * @throws dev.mlserve.scoring.error.BadInputException for a record the model itself refuses
     */
    List<Map<String, Object>> predict(TypedRecords records, List<String> outputs);

    /**
     * Validates records (parsed JSON objects) once, then scores them as {@link #predict(TypedRecords, List)}.
     *
     * @throws dev.mlserve.scoring.error.BadInputException listing every bad record and field
     */
    default List<Map<String, Object>> predict(List<?> records, List<String> outputs) {
        return predict(TypedRecords.validate(metadata().inputSchema(), RecordValidator.Mode.JSON, records), outputs);
    }

    /**
     * Runs the pipeline over rows whose bundle fields already have the bundle's types; other
     * columns pass through. Answers the input columns plus every pipeline column.
     */
    Dataset<Row> transform(Dataset<Row> input);
}
