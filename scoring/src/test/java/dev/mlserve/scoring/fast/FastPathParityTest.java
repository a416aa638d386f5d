package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fast path against plain {@code transform} on thousands of varied records per pipeline: every
 * column the pipeline adds (vectors, rawPrediction, probability, prediction, labels) must be
 * bit-identical, and no record may need the Spark fallback where handleInvalid is "keep".
 */
class FastPathParityTest {
    private static final int ROWS = 4000;

    @ParameterizedTest
    @EnumSource(Kind.class)
    void fastPath_onParitySuitePipeline_equalsTransformBitForBit(Kind kind) {
        PipelineModel model = PipelineScorer.load(TestSpark.session(), ParityPipelines.bundle(kind)).model();

        int compared = assertParity(kind.name(), model, FastPathFixtures.records(ROWS, 100 + kind.ordinal()));

        assertThat(compared).isEqualTo(ROWS);
    }

    @Test
    void fastPath_onDemoChurnShape_equalsTransformBitForBit() {
        int compared = assertParity("churn-shape", FastPathFixtures.churnShape(), FastPathFixtures.records(ROWS, 7));

        assertThat(compared).isEqualTo(ROWS);
    }

    @Test
    void fastPath_onForestRegressionWithBucketizedNullableColumns_equalsTransformBitForBit() {
        int compared = assertParity("forest-regression", FastPathFixtures.forestRegression(),
                FastPathFixtures.records(ROWS, 8));

        assertThat(compared).isEqualTo(ROWS);
    }

    @Test
    void fastPath_onGbtClassifierWithBucketizedCalls_equalsTransformBitForBit() {
        int compared = assertParity("gbt-classifier", FastPathFixtures.gbtClassifier(),
                FastPathFixtures.records(ROWS, 12));

        assertThat(compared).isEqualTo(ROWS);
    }

    @Test
    void fastPath_onStrictTreeWithKnownCategories_equalsTransformBitForBit() {
        List<Map<String, Object>> known = FastPathFixtures.records(ROWS, 9).stream()
                .filter(r -> List.of("basic", "standard", "premium").contains(r.get("plan"))).toList();

        int compared = assertParity("strict-tree", FastPathFixtures.strictTree(), known);

        assertThat(compared).isEqualTo(known.size()).isGreaterThan(3000);
    }

    @Test
    void predict_onStrictTreeWithUnseenCategory_isBadInputNamingTheRecordAndField() {
        PipelineScorer spark = FastPathFixtures.scorer("strict", FastPathFixtures.strictTree());
        FastPathScorer scorer = FastPathScorer.create(spark, FastPathFixtures.records(200, 10));
        List<Map<String, Object>> records = new ArrayList<>(FastPathFixtures.records(5, 11));
        records.get(2).put("plan", "enterprise");

        assertThat(scorer.fastPathEnabled()).as(scorer.fastPathStatus()).isTrue();
        assertThatThrownBy(() -> scorer.predict(records, null))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("1 of 5 records cannot be scored by the model");
                    assertThat(e.violations()).singleElement().satisfies(v -> {
                        assertThat(v.record()).isEqualTo(2);
                        assertThat(v.field()).isEqualTo("plan");
                        assertThat(v.reason()).contains("Unseen label: enterprise");
                    });
                });
        assertThat(scorer.sparkRequests()).isEqualTo(1);
        assertThat(scorer.fastRequests()).isZero();
    }

    @Test
    void compile_withSqlTransformer_isRefusedNamingTheStage() {
        PipelineModel model = FastPathFixtures.withSqlTransformer();

        FastPathCompiler.Compilation compiled = FastPathCompiler.compile(model, FastPathFixtures.SCHEMA);

        assertThat(compiled.supported()).isFalse();
        assertThat(compiled.refusal()).startsWith("unsupported: " + model.stages()[0].uid())
                .contains("SQLTransformer");
    }

    @Test
    void predict_withUnsupportedStage_answersThroughTransformExactly() {
        PipelineModel model = FastPathFixtures.withRowPositionDependentSql();
        FastPathScorer scorer = FastPathScorer.create(FastPathFixtures.scorer("sql", model), List.of());
        List<Map<String, Object>> records = FastPathFixtures.records(500, 12);
        List<String> columns = List.of("prediction", "probability", "rawPrediction");

        List<Map<String, Object>> answers = scorer.predict(records, columns);

        assertThat(scorer.fastPathEnabled()).isFalse();
        assertThat(scorer.fastPathStatus()).contains("SQLTransformer").contains("rand(3)");
        assertThat(scorer.sparkRequests()).isEqualTo(1);
        List<Map<String, Object>> expected = FastPathFixtures.plain(model,
                FastPathFixtures.validator().convertAll(records), columns);
        assertThat(Parity.exact(answers)).isEqualTo(Parity.exact(expected));
    }

    @Test
    void load_withSabotagedFastPath_disablesItNamingRowAndColumn() {
        PipelineScorer spark = PipelineScorer.load(TestSpark.session(), ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        FastPipeline good = FastPathCompiler.compile(spark.model(), spark.metadata().sparkSchema()).pipeline();
        int calls = good.slot("calls");
        int probability = good.slot("probability");
        FastPipeline sabotaged = good.withStep(row -> {
            if (Integer.valueOf(7).equals(row[calls])) {
                double[] p = ((org.apache.spark.ml.linalg.Vector) row[probability]).toArray();
                p[0] = Math.nextUp(p[0]);
                row[probability] = org.apache.spark.ml.linalg.Vectors.dense(p);
            }
        });
        List<Map<String, Object>> samples = FastPathFixtures.records(300, 13);

        FastPathScorer off = FastPathScorer.checked(spark, sabotaged, samples);
        FastPathScorer on = FastPathScorer.checked(spark, good, samples);

        assertThat(off.fastPathEnabled()).isFalse();
        assertThat(off.fastPathStatus()).contains("column 'probability'").containsPattern("sample record \\d+");
        assertThat(on.fastPathEnabled()).as(on.fastPathStatus()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void predict_throughFastPathScorer_equalsPipelineScorerForDefaultsAndRaw(Kind kind) {
        PipelineScorer spark = PipelineScorer.load(TestSpark.session(), ParityPipelines.bundle(kind));
        FastPathScorer scorer = FastPathScorer.create(spark,
                SampleRecords.synthetic(spark.metadata().inputSchema(), spark.model(), 200, 1));
        List<Map<String, Object>> records = FastPathFixtures.records(300, 14);
        List<String> columns = new ArrayList<>(spark.defaultOutputs());
        if (spark.availableOutputs().contains("rawPrediction")) {
            columns.add("rawPrediction");
        }

        List<Map<String, Object>> fast = scorer.predict(records, columns);

        assertThat(scorer.fastPathEnabled()).as(scorer.fastPathStatus()).isTrue();
        assertThat(Parity.exact(fast)).isEqualTo(Parity.exact(spark.predict(records, columns)));
        assertThat(Parity.exact(scorer.predict(records, null))).isEqualTo(Parity.exact(spark.predict(records, null)));
        assertThat(scorer.fastRequests()).isEqualTo(2);
        assertThat(scorer.sparkRequests()).isZero();
    }

    @Test
    void microTiming_printsMicrosecondsPerRow() {
        PipelineModel model = FastPathFixtures.churnShape();
        FastPipeline fast = FastPathCompiler.compile(model, FastPathFixtures.SCHEMA).pipeline();
        List<Object[]> rows = FastPathFixtures.validator().convertAll(FastPathFixtures.records(2000, 15));
        List<String> columns = List.of("prediction", "probability", "predictedLabel");
        long sink = 0;
        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            for (int rep = 0; rep < 10; rep++) {
                for (Object[] v : rows) {
                    sink += fast.answer(fast.evaluate(v), columns).size();
                }
            }
            double us = (System.nanoTime() - start) / 1000.0 / (10.0 * rows.size());
            System.out.printf("fast path micro-timing (churn shape, evaluate + answer): round %d: %.2f us/row%n", round, us);
        }
        FastPathScorer scorer = FastPathScorer.create(FastPathFixtures.scorer("churn", model),
                FastPathFixtures.records(100, 16));
        List<Map<String, Object>> one = FastPathFixtures.records(1, 17);
        long[] nanos = new long[3000];
        for (int i = 0; i < nanos.length; i++) {
            long start = System.nanoTime();
            sink += scorer.predict(one, null).size();
            nanos[i] = System.nanoTime() - start;
        }
        long[] warm = Arrays.copyOfRange(nanos, 1000, nanos.length);
        Arrays.sort(warm);
        System.out.printf("fast path micro-timing (churn shape, FastPathScorer.predict of 1 record incl. validation):"
                + " p50 %.1f us, p99 %.1f us%n", warm[warm.length / 2] / 1000.0, warm[warm.length * 99 / 100] / 1000.0);
        assertThat(sink).isPositive();
        assertThat(scorer.fastRequests()).isEqualTo(nanos.length);
    }

    /** Compares every added column of every record; answers how many records were compared. */
    private static int assertParity(String name, PipelineModel model, List<Map<String, Object>> records) {
        FastPathCompiler.Compilation compiled = FastPathCompiler.compile(model, FastPathFixtures.SCHEMA);
        assertThat(compiled.supported()).as(String.valueOf(compiled.refusal())).isTrue();
        FastPipeline fast = compiled.pipeline();
        List<String> columns = PipelineScorer.Outputs.added(model, FastPathFixtures.SCHEMA);
        RecordValidator validator = FastPathFixtures.validator();
        List<Object[]> rows = validator.convertAll(records);

        List<Map<String, Object>> expected = FastPathFixtures.plain(model, rows, columns);
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> got = fast.answer(fast.evaluate(rows.get(i)), columns);
            for (String c : columns) {
                if (!SelfCheck.same(expected.get(i).get(c), got.get(c)) && differences.size() < 5) {
                    differences.add("row " + i + " " + Arrays.toString(rows.get(i)) + " column " + c + ": fast "
                            + Parity.exact(got.get(c)) + " transform " + Parity.exact(expected.get(i).get(c)));
                }
            }
        }
        System.out.printf("fast path parity %s: %d records x %d columns %s compared, %d differences%n", name,
                rows.size(), columns.size(), columns, differences.size());
        assertThat(differences).isEmpty();
        return rows.size();
    }
}
