package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Compares a compiled pipeline with Spark's {@code transform} on sample records, every column the
 * pipeline adds, exactly: {@code Double.equals} on numbers (bits, so -0.0 differs from 0.0),
 * {@code Arrays.equals} on vectors, {@code equals} on the rest. Records the fast path sends to
 * Spark anyway (see {@link Fallback}) and records that fail validation are not compared.
 *
 * <p>Two ways: {@link #run} calls {@code transform} now; {@link #replay} compares with answers
 * {@code transform} gave when the bundle was written ({@link #record}), kept in the bundle's
 * {@link PipelineSnapshot}, so a cold start can check without a Spark job.
 */
final class SelfCheck {
    /** The outcome: how many records were compared, and the first difference (null when none). */
    record Result(int compared, String difference) {
        boolean passed() {
            return difference == null && compared > 0;
        }

        String describe() {
            if (difference != null) {
                return difference;
            }
            return compared == 0 ? "no sample record could be compared" : "identical on " + compared + " records";
        }
    }

    /**
     * Sample records and {@code transform}'s answers for them (every column the pipeline adds, as
     * JSON-ready values), taken when a bundle is written.
     */
    static final class Recorded implements Serializable {
        private static final long serialVersionUID = 1L;
        final ArrayList<String> columns;
        final ArrayList<LinkedHashMap<String, Object>> records;
        final ArrayList<LinkedHashMap<String, Object>> expected;

        Recorded(List<String> columns, List<Map<String, Object>> records, List<Map<String, Object>> expected) {
            this.columns = new ArrayList<>(columns);
            this.records = new ArrayList<>();
            records.forEach(r -> this.records.add(new LinkedHashMap<>(r)));
            this.expected = new ArrayList<>();
            expected.forEach(e -> this.expected.add(new LinkedHashMap<>(e)));
        }

        List<Map<String, Object>> records() {
            return List.copyOf(records);
        }
    }

    /** The sample records the fast path answers, with its answers; or why it cannot be compared. */
    private record Selection(List<Map<String, Object>> records, List<Integer> index,
                             List<Map<String, Object>> answers, String failure) {
    }

    private SelfCheck() {
    }

    /** Checks against {@code transform} now (a Spark job). */
    static Result run(PipelineScorer spark, RecordValidator validator, FastPipeline fast,
                      List<Map<String, Object>> samples) {
        List<String> columns = spark.availableOutputs();
        Selection selection = select(validator, fast, samples, columns);
        return compare(selection, columns, compared -> spark.predict(compared, columns));
    }

    /**
     * {@code transform}'s answers for the samples the fast path answers, for {@link #replay}; null
     * when the fast path fails on a sample or no sample can be compared (then nothing is recorded
     * and the load checks against {@code transform} itself).
     */
    static Recorded record(PipelineScorer spark, RecordValidator validator, FastPipeline fast,
                           List<Map<String, Object>> samples) {
        List<String> columns = spark.availableOutputs();
        Selection selection = select(validator, fast, samples, columns);
        if (selection.failure() != null || selection.records().isEmpty()) {
            return null;
        }
        return new Recorded(columns, selection.records(), spark.predict(selection.records(), columns));
    }

    /** Checks against recorded {@code transform} answers: no Spark job. */
    static Result replay(Recorded recorded, RecordValidator validator, FastPipeline fast, List<String> columns) {
        if (!recorded.columns.equals(columns)) {
            return new Result(0, "recorded answers hold columns " + recorded.columns + ", the pipeline adds " + columns);
        }
        Selection selection = select(validator, fast, recorded.records(), columns);
        if (selection.failure() == null && selection.records().size() != recorded.records.size()) {
            int first = 0;
            while (first < selection.index().size() && selection.index().get(first) == first) {
                first++;
            }
            return new Result(0, "sample record " + first + ": the fast path did not answer it; transform did");
        }
        return compare(selection, columns, compared -> List.copyOf(recorded.expected));
    }

    private static Selection select(RecordValidator validator, FastPipeline fast, List<Map<String, Object>> samples,
                                    List<String> columns) {
        List<Map<String, Object>> compared = new ArrayList<>();
        List<Integer> sampleIndex = new ArrayList<>();
        List<Map<String, Object>> fastAnswers = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            List<Violation> violations = new ArrayList<>();
            Object[] values = validator.convertAny(i, samples.get(i), violations);
            if (values == null) {
                continue;
            }
            try {
                fastAnswers.add(fast.answer(fast.evaluate(values), columns));
            } catch (Fallback e) {
                continue;
            } catch (RuntimeException e) {
                return new Selection(List.of(), List.of(), List.of(), "sample record " + i
                        + ": the fast path failed: " + e);
            }
            compared.add(samples.get(i));
            sampleIndex.add(i);
        }
        return new Selection(compared, sampleIndex, fastAnswers, null);
    }

    private static Result compare(Selection selection, List<String> columns,
                                  Function<List<Map<String, Object>>, List<Map<String, Object>>> transform) {
        if (selection.failure() != null) {
            return new Result(0, selection.failure());
        }
        if (selection.records().isEmpty()) {
            return new Result(0, null);
        }
        List<Map<String, Object>> expected;
        try {
            expected = transform.apply(selection.records());
        } catch (RuntimeException e) {
            return new Result(0, "transform failed on the sample records the fast path answers: " + e);
        }
        for (int k = 0; k < expected.size(); k++) {
            for (String c : columns) {
                Object want = expected.get(k).get(c);
                Object got = selection.answers().get(k).get(c);
                if (!same(want, got)) {
                    return new Result(k, "sample record " + selection.index().get(k) + " column '" + c
                            + "': fast path " + show(got) + ", transform " + show(want));
                }
            }
        }
        return new Result(expected.size(), null);
    }

    /**
     * Exact equality of two JSON-ready values, element by element inside lists and maps (an array of
     * vectors, as the LSH models give, is a list of double arrays, which {@code List.equals} would
     * compare by identity).
     */
    static boolean same(Object a, Object b) {
        if (a instanceof double[] x && b instanceof double[] y) {
            return Arrays.equals(x, y);
        }
        if (a instanceof java.util.List<?> x && b instanceof java.util.List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!same(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (!x.keySet().equals(y.keySet())) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!same(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }

    private static String show(Object v) {
        if (v instanceof java.util.List<?> list) {
            return list.stream().map(SelfCheck::show).toList() + " (list)";
        }
        return v instanceof double[] d ? Arrays.toString(d) : v + (v == null ? "" : " (" + v.getClass().getSimpleName() + ")");
    }
}
