package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.PipelineScorer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares a compiled pipeline with Spark's {@code transform} on sample records, every column the
 * pipeline adds, exactly: {@code Double.equals} on numbers (bits, so -0.0 differs from 0.0),
 * {@code Arrays.equals} on vectors, {@code equals} on the rest. Records the fast path sends to
 * Spark anyway (see {@link Fallback}) and records that fail validation are not compared.
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

    private SelfCheck() {
    }

    static Result run(PipelineScorer spark, RecordValidator validator, FastPipeline fast,
                      List<Map<String, Object>> samples) {
        List<String> columns = spark.availableOutputs();
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
                return new Result(0, "sample record " + i + ": the fast path failed: " + e);
            }
            compared.add(samples.get(i));
            sampleIndex.add(i);
        }
        if (compared.isEmpty()) {
            return new Result(0, null);
        }
        List<Map<String, Object>> expected;
        try {
            expected = spark.predict(compared, columns);
        } catch (RuntimeException e) {
            return new Result(0, "transform failed on the sample records the fast path answers: " + e);
        }
        for (int k = 0; k < expected.size(); k++) {
            for (String c : columns) {
                Object want = expected.get(k).get(c);
                Object got = fastAnswers.get(k).get(c);
                if (!same(want, got)) {
                    return new Result(k, "sample record " + sampleIndex.get(k) + " column '" + c + "': fast path "
                            + show(got) + ", transform " + show(want));
                }
            }
        }
        return new Result(expected.size(), null);
    }

    /** Exact equality of two JSON-ready values. */
    static boolean same(Object a, Object b) {
        if (a instanceof double[] x && b instanceof double[] y) {
            return Arrays.equals(x, y);
        }
        return Objects.equals(a, b);
    }

    private static String show(Object v) {
        return v instanceof double[] d ? Arrays.toString(d) : v + (v == null ? "" : " (" + v.getClass().getSimpleName() + ")");
    }
}
