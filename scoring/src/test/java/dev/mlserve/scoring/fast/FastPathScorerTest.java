package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FastPathScorerTest {
    @TempDir
    Path root;

    @Test
    void load_bundleWithSamples_checksOnThoseSamplesAndAnswersLikeTransform() throws Exception {
        PipelineModel model = FastPathFixtures.churnShape();
        List<Map<String, Object>> samples = FastPathFixtures.records(150, 21);
        Bundle bundle = new BundleWriter(root).write(model, "churn", "1", FastPathFixtures.SCHEMA, null, Map.of(),
                samples);

        FastPathScorer scorer = FastPathScorer.loadPipeline(TestSpark.session(), bundle);

        assertThat(Files.readAllLines(bundle.directory().resolve(Bundle.SAMPLES_FILE))).hasSize(150);
        assertThat(SampleRecords.read(bundle.directory())).hasValueSatisfying(s -> assertThat(s).hasSize(150));
        assertThat(scorer.fastPathEnabled()).isTrue();
        assertThat(scorer.fastPathStatus()).isEqualTo("on: self-check identical on 150 records");
        List<Map<String, Object>> records = FastPathFixtures.records(50, 22);
        assertThat(Parity.exact(scorer.predict(records, null)))
                .isEqualTo(Parity.exact(scorer.pipelineScorer().predict(records, null)));
    }

    @Test
    void load_bundleWithoutSamples_checksOnSyntheticRecordsFromTheSchema() {
        Bundle bundle = ParityPipelines.bundle(Kind.BUCKETIZER_GBT);

        FastPathScorer scorer = FastPathScorer.loadPipeline(TestSpark.session(), bundle);

        assertThat(Files.exists(bundle.directory().resolve(Bundle.SAMPLES_FILE))).isFalse();
        assertThat(scorer.fastPathEnabled()).isTrue();
        assertThat(scorer.fastPathStatus()).startsWith("on: self-check identical on ");
    }

    @Test
    void synthetic_recordsCoverNullsUnseenCategoriesAndZeros() {
        PipelineModel model = PipelineScorerFor.oneHot();

        List<Map<String, Object>> records = SampleRecords.synthetic(
                dev.mlserve.scoring.bundle.BundleMetadata.fieldsOf(FastPathFixtures.SCHEMA), model, 200, 3);

        assertThat(records).hasSize(200);
        assertThat(records).anySatisfy(r -> assertThat(r.get("region")).isNull());
        assertThat(records).anySatisfy(r -> assertThat(r.get("region")).isEqualTo(SampleRecords.UNSEEN));
        assertThat(records).anySatisfy(r -> assertThat(r.get("region")).isIn("north", "south", "east", "west"));
        assertThat(records).anySatisfy(r -> assertThat(r.get("tenure")).isEqualTo(0.0));
        assertThat(records).allSatisfy(r -> assertThat(r.get("plan")).isNotNull());
    }

    @Test
    void predict_withOutputsTheFastPathMakes_includingIntermediateVectors_equalsTransform() {
        FastPathScorer scorer = FastPathScorer.create(FastPathFixtures.scorer("churn", FastPathFixtures.churnShape()),
                FastPathFixtures.records(100, 23));
        List<Map<String, Object>> records = FastPathFixtures.records(40, 24);
        List<String> columns = List.of("rawFeatures", "features", "rawPrediction", "predictedLabel");

        assertThat(Parity.exact(scorer.predict(records, columns)))
                .isEqualTo(Parity.exact(scorer.pipelineScorer().predict(records, columns)));
        assertThat(scorer.fastRequests()).isEqualTo(1);
    }

    @Test
    void predict_withBadRecords_answersTheSameViolationsAsPipelineScorer() {
        FastPathScorer scorer = FastPathScorer.create(FastPathFixtures.scorer("churn", FastPathFixtures.churnShape()),
                FastPathFixtures.records(50, 25));
        List<Map<String, Object>> records = new java.util.ArrayList<>(FastPathFixtures.records(4, 26));
        records.get(1).remove("plan");
        records.get(3).put("tenure", "long");
        records.get(3).put("calls", 2.5);

        Throwable fast = org.assertj.core.api.Assertions.catchThrowable(() -> scorer.predict(records, null));
        Throwable spark = org.assertj.core.api.Assertions.catchThrowable(
                () -> scorer.pipelineScorer().predict(records, null));

        assertThat(fast).isInstanceOf(dev.mlserve.scoring.error.BadInputException.class);
        assertThat(((dev.mlserve.scoring.error.BadInputException) fast).violations())
                .isEqualTo(((dev.mlserve.scoring.error.BadInputException) spark).violations());
        assertThat(fast).hasMessage(spark.getMessage());
        assertThat(scorer.fastPathEnabled()).isTrue();
    }

    @Test
    void load_bundleWithMalformedSamples_checksOnSyntheticRecordsInstead() throws Exception {
        Bundle bundle = new BundleWriter(root).write(FastPathFixtures.forestRegression(), "forest", "1",
                FastPathFixtures.SCHEMA, null, Map.of(), FastPathFixtures.records(10, 27));
        Files.writeString(bundle.directory().resolve(Bundle.SAMPLES_FILE), "{\"plan\": \"basic\"\nnot json\n");

        FastPathScorer scorer = FastPathScorer.loadPipeline(TestSpark.session(), bundle);

        assertThat(scorer.fastPathEnabled()).as(scorer.fastPathStatus()).isTrue();
        assertThat(scorer.fastPathStatus()).startsWith("on: self-check identical on ");
    }

    @Test
    void checked_whenFastPathThrowsOnASample_isDisabledNamingTheRecord() {
        dev.mlserve.scoring.score.PipelineScorer spark = FastPathFixtures.scorer("churn", FastPathFixtures.churnShape());
        FastPipeline broken = FastPathCompiler.compile(spark.model(), FastPathFixtures.SCHEMA).pipeline()
                .withStep(row -> {
                    throw new IllegalStateException("boom");
                });

        FastPathScorer scorer = FastPathScorer.checked(spark, broken, FastPathFixtures.records(20, 28));

        assertThat(scorer.fastPathEnabled()).isFalse();
        assertThat(scorer.fastPathStatus()).contains("sample record 0").contains("boom");
    }

    /** The parity suite's one-hot pipeline, loaded. */
    private static final class PipelineScorerFor {
        static PipelineModel oneHot() {
            return dev.mlserve.scoring.score.PipelineScorer.load(TestSpark.session(),
                    ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC)).model();
        }
    }
}
