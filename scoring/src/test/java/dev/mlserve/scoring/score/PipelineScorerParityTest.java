package dev.mlserve.scoring.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PipelineScorerParityTest {
    private final SparkSession spark = TestSpark.session();

    @ParameterizedTest
    @EnumSource(Kind.class)
    void predict_onVariedRecords_equalsPlainTransformExactly(Kind kind) {
        Bundle bundle = ParityPipelines.bundle(kind);
        PipelineScorer scorer = PipelineScorer.load(spark, bundle);
        List<Map<String, Object>> records = ParityPipelines.records(300, 11);

        List<Map<String, Object>> predictions = scorer.predict(records, null);

        List<Map<String, Object>> expected = Parity.plainTransform(scorer.model(),
                ParityPipelines.frame(spark, records), scorer.defaultOutputs());
        assertThat(predictions).hasSize(300);
        assertThat(Parity.exact(predictions)).isEqualTo(Parity.exact(expected));
    }

    @Test
    void defaultOutputs_forClassifierWithLabels_arePredictionProbabilityAndLabel() {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.IMPUTER_FOREST));

        assertThat(scorer.defaultOutputs()).containsExactly("prediction", "probability", "predictedLabel");
        assertThat(scorer.predict(ParityPipelines.records(5, 3), null))
                .allSatisfy(p -> assertThat(p.get("predictedLabel")).isIn("yes", "no"));
    }

    @Test
    void defaultOutputs_forRegressor_isPrediction() {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.BUCKETIZER_GBT));

        assertThat(scorer.defaultOutputs()).containsExactly("prediction");
    }

    @Test
    void predict_withOutputsSelection_answersOnlyThoseColumnsInThatOrder() {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));

        List<Map<String, Object>> out = scorer.predict(ParityPipelines.records(2, 5), List.of("rawPrediction", "prediction"));

        assertThat(out.get(0).keySet()).containsExactly("rawPrediction", "prediction");
        assertThat(out.get(0).get("rawPrediction")).isInstanceOf(double[].class);
    }

    @Test
    void predict_withUnknownOutput_answersBadInputNamingIt() {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));

        assertThatThrownBy(() -> scorer.predict(ParityPipelines.records(1, 5), List.of("nope")))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(((BadInputException) e).violations())
                        .extracting(Violation::reason).anyMatch(r -> r.contains("'nope'")));
    }

    @Test
    void predict_withSeveralBadRecords_listsEveryRecordAndField() {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        List<Map<String, Object>> records = new ArrayList<>(ParityPipelines.records(4, 9));
        Map<String, Object> noPlan = new LinkedHashMap<>(records.get(1));
        noPlan.remove("plan");
        records.set(1, noPlan);
        Map<String, Object> twoBad = new LinkedHashMap<>(records.get(3));
        twoBad.put("tenure", "long");
        twoBad.put("calls", 2.5);
        records.set(3, twoBad);

        assertThatThrownBy(() -> scorer.predict(records, null))
                .isInstanceOf(BadInputException.class)
                .satisfies(e -> assertThat(((BadInputException) e).violations())
                        .extracting(v -> v.record() + ":" + v.field())
                        .containsExactly("1:plan", "3:tenure", "3:calls"));
    }

    @Test
    void predict_withNoRecords_answersBadInput() {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));

        assertThatThrownBy(() -> scorer.predict(List.of(), null)).isInstanceOf(BadInputException.class);
    }
}
