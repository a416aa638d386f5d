package dev.mlserve.scoring.io;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Input rows after validation: every input column (bundle fields typed as the bundle says, other
 * columns passed through), bundle fields the input lacks (null), then {@link #ERRORS} (null when
 * the row is valid, else a JSON array of {field, reason}) and {@link #SOURCE} (the original record
 * as JSON text; kept for every row in JSON Lines, whose output is the original object plus outputs)
 * and, when the rows were scored in the same pass (the fast path), the output columns.
 *
 * @param columns the data columns in output order (no internal columns)
 * @param outputs the output columns the rows already hold (empty: not scored)
 */
public record ValidatedInput(Dataset<Row> rows, List<String> columns, FileFormat format, List<String> outputs) {
    public static final String ERRORS = "__mlserve_errors";
    public static final String SOURCE = "__mlserve_source";
}
