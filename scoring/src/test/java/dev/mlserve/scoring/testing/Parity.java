package dev.mlserve.scoring.testing;

import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.OutputValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/** The baseline every parity test compares against: plain {@code PipelineModel.transform}. */
public final class Parity {
    private Parity() {
    }

    /** Plain Spark's answers for the rows, as JSON-ready maps of the given columns. */
    public static List<Map<String, Object>> plainTransform(PipelineModel model, Dataset<Row> rows, List<String> columns) {
        Column[] selected = columns.stream().map(functions::col).toArray(Column[]::new);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row row : model.transform(rows).select(selected).collectAsList()) {
            out.add(OutputValues.toMap(row, columns));
        }
        return out;
    }

    /** Exact comparison text: Jackson prints each double so that it parses back to the same bits. */
    public static String exact(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
