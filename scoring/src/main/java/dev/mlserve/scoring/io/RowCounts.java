package dev.mlserve.scoring.io;

import org.apache.spark.SparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.LongAccumulator;

/**
 * Rows read and rows rejected, counted by the filter that keeps the valid rows in the stage that
 * writes them, instead of a separate counting job over persisted rows. Only there are the counts
 * exact: Spark applies the accumulator updates of a result task once per partition, even when a
 * task is retried or speculated (updates from shuffle map tasks may repeat). The filter is marked
 * non-deterministic, so the optimizer keeps it after any shuffle of the output layout.
 */
final class RowCounts implements UDF1<Boolean, Boolean> {
    private static final long serialVersionUID = 1L;

    private final LongAccumulator rows;
    private final LongAccumulator rejected;

    RowCounts(SparkContext sc) {
        this.rows = sc.longAccumulator("mlserve.rowsIn");
        this.rejected = sc.longAccumulator("mlserve.rowsRejected");
    }

    /** A filter condition: true for valid rows; counts every row it sees. */
    Column keepValid() {
        return functions.udf(this, DataTypes.BooleanType).asNondeterministic()
                .apply(functions.col(ValidatedInput.ERRORS).isNull());
    }

    @Override
    public Boolean call(Boolean valid) {
        rows.add(1);
        if (!valid) {
            rejected.add(1);
        }
        return valid;
    }

    long rows() {
        return rows.sum();
    }

    long rejected() {
        return rejected.sum();
    }
}
