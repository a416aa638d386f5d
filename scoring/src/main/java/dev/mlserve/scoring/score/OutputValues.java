package dev.mlserve.scoring.score;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;

/**
 * Spark values to plain JSON-ready Java values: vectors become double arrays, dates
 * {@code yyyy-MM-dd} and timestamps ISO-8601 instants in UTC.
 */
public final class OutputValues {
    private OutputValues() {
    }

    public static Object toJsonReady(Object value) {
        if (value instanceof Vector v) {
            return v.toArray();
        }
        if (value instanceof org.apache.spark.mllib.linalg.Vector v) {
            return v.toArray();
        }
        if (value instanceof java.util.Date || value instanceof java.time.temporal.Temporal) {
            return dev.mlserve.scoring.schema.RecordValidator.jsonForm(value); // the input forms: ISO text
        }
        if (value instanceof scala.collection.Seq<?> seq) {
            List<Object> list = new ArrayList<>();
            for (Object o : JavaConverters.seqAsJavaList(seq)) {
                list.add(toJsonReady(o));
            }
            return list;
        }
        if (value instanceof scala.collection.Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            JavaConverters.mapAsJavaMap(map).forEach((k, v) -> out.put(k, toJsonReady(v)));
            return out;
        }
        if (value instanceof Row row) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < row.size(); i++) {
                out.put(row.schema().fields()[i].name(), toJsonReady(row.get(i)));
            }
            return out;
        }
        return value;
    }

    /** One output row as a map of the given columns, in order. */
    public static Map<String, Object> toMap(Row row, List<String> columns) {
        Map<String, Object> out = new LinkedHashMap<>(columns.size() * 2);
        for (int i = 0; i < columns.size(); i++) {
            out.put(columns.get(i), toJsonReady(row.get(i)));
        }
        return out;
    }
}
