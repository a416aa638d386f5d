package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.score.OutputValues;
import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fitted pipeline compiled to row-level steps (see {@link FastPathCompiler}). A row is an array
 * of slots, one per column: the bundle's input fields first, in schema order, then every column a
 * stage adds. Evaluation builds no DataFrame and starts no Spark job. Serializable: file scoring
 * runs it inside Spark tasks.
 */
public final class FastPipeline implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, Integer> slots;
    private final int inputCount;
    private final Step[] steps;

    FastPipeline(Map<String, Integer> slots, int inputCount, List<Step> steps) {
        this.slots = Map.copyOf(slots);
        this.inputCount = inputCount;
        this.steps = steps.toArray(new Step[0]);
    }

    /** This pipeline with one more step at the end (tests use it to sabotage a pipeline). */
    FastPipeline withStep(Step extra) {
        List<Step> all = new java.util.ArrayList<>(Arrays.asList(steps));
        all.add(extra);
        return new FastPipeline(slots, inputCount, all);
    }

    /** True when this is Spark's own plan compiled row by row ({@link PlanCompiler}), false for hand-written steps. */
    boolean compiledFromPlan() {
        return steps.length == 1 && steps[0] instanceof PlanCompiler.PlanStep;
    }

    /** The slot of a column, or -1. */
    int slot(String column) {
        return slots.getOrDefault(column, -1);
    }

    /** The slot of each column in an {@link #evaluate evaluated} row, in order; -1 for one it does not compute. */
    public int[] slots(List<String> columns) {
        return columns.stream().mapToInt(this::slot).toArray();
    }

    /** True when every column is one this pipeline computes. */
    public boolean covers(List<String> columns) {
        for (String c : columns) {
            if (!slots.containsKey(c)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs every stage on one record.
     *
     * @param inputs the record's values in input-schema order, typed as RecordValidator converts them
     * @return every slot of the row: the inputs, then the columns the stages add (Spark values:
     *     Double, String, ml.linalg Vector, ...)
     * @throws Fallback when Spark would fail on this record; answer the request through transform
     */
    public Object[] evaluate(Object[] inputs) {
        if (inputs.length != inputCount) {
            throw new IllegalArgumentException("expected " + inputCount + " input values, got " + inputs.length);
        }
        Object[] row = Arrays.copyOf(inputs, slots.size());
        for (Step step : steps) {
            step.apply(row);
        }
        return row;
    }

    /** The selected columns of an evaluated row as JSON-ready values (vectors as double arrays). */
    Map<String, Object> answer(Object[] row, List<String> columns) {
        Map<String, Object> out = new LinkedHashMap<>(columns.size() * 2);
        for (String c : columns) {
            out.put(c, OutputValues.toJsonReady(row[slots.get(c)]));
        }
        return out;
    }
}
