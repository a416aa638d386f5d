package dev.mlserve.scoring.score;

import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.SparkException;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Failures of Spark's {@code transform} that a record caused, told apart from real faults. A stage
 * that refuses a value (a StringIndexer with {@code handleInvalid=error} meeting an unseen label, a
 * VectorAssembler meeting a null) throws inside its UDF; Spark reports that as a checked
 * {@link SparkException} of error class {@code FAILED_EXECUTE_UDF} wrapping the stage's own
 * message, several job-failure layers deep. Those are the caller's to fix (400, a rejected file);
 * anything else stays a fault.
 */
public final class ModelFailures {
    private static final String UDF_FAILED = "FAILED_EXECUTE_UDF";
    /** Records examined one by one to name the ones that fail (requests are small; this bounds a big one). */
    static final int MAX_EXAMINED = 50;

    private ModelFailures() {
    }

    /** The stage's own message when a stage UDF refused a value somewhere in {@code failure}'s causes. */
    public static Optional<String> rowFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SparkException s && UDF_FAILED.equals(s.getErrorClass())) {
                Throwable cause = s.getCause() == null ? s : s.getCause();
                return Optional.of(String.valueOf(cause.getMessage()));
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }

    /**
     * Names the records of a failed request that the model cannot score: each record alone through the
     * pipeline, stage by stage, so the failing stage's input columns name the field. Empty when no
     * record fails alone (then the failure was no record's fault).
     *
     * @param single the records as one-row DataFrames of the bundle's input schema
     */
    static List<Violation> violations(PipelineModel model, List<Dataset<Row>> single, Set<String> fields) {
        List<Violation> found = new ArrayList<>();
        for (int i = 0; i < Math.min(single.size(), MAX_EXAMINED); i++) {
            Dataset<Row> df = single.get(i);
            for (Transformer stage : model.stages()) {
                df = stage.transform(df);
                try {
                    df.collectAsList();
                } catch (Exception e) {
                    Optional<String> reason = rowFailure(e);
                    if (reason.isEmpty()) {
                        break;
                    }
                    String message = "the model cannot score this record: " + reason.get();
                    List<String> columns = inputColumns(stage, fields);
                    if (columns.isEmpty()) {
                        found.add(new Violation(i, null, message + " (stage " + stage.uid() + ")"));
                    }
                    for (String c : columns) {
                        found.add(new Violation(i, c, message));
                    }
                    break;
                }
            }
        }
        return found;
    }

    /** The answer to a request some of whose records the model refused. */
    static BadInputException badInput(List<Violation> violations, int records) {
        long failed = violations.stream().map(Violation::record).distinct().count();
        String examined = records > MAX_EXAMINED ? " (the first " + MAX_EXAMINED + " examined)" : "";
        return new BadInputException(failed + " of " + records + " records cannot be scored by the model"
                + examined, violations);
    }

    /** The stage's input columns ({@code inputCol}, {@code inputCols}) that are bundle fields. */
    private static List<String> inputColumns(Transformer stage, Set<String> fields) {
        Set<String> columns = new LinkedHashSet<>();
        for (String name : List.of("inputCol", "inputCols")) {
            if (!stage.hasParam(name)) {
                continue;
            }
            Param<Object> param = stage.getParam(name);
            if (!stage.isDefined(param)) {
                continue;
            }
            Object value = stage.getOrDefault(param);
            if (value instanceof String s) {
                columns.add(s);
            } else if (value instanceof String[] a) {
                columns.addAll(List.of(a));
            }
        }
        columns.retainAll(fields);
        return List.copyOf(columns);
    }
}
