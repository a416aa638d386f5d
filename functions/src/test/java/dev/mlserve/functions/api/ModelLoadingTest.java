package dev.mlserve.functions.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.fast.PipelineSnapshot;
import dev.mlserve.scoring.testing.Parity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import dev.mlserve.scoring.score.Scorer;
import dev.mlserve.scoring.testing.TestSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class ModelLoadingTest {

    @Test
    void load_restoresTheSessionsCodegenSettingsAndTheModelScores() {
        SparkSession spark = TestSpark.session();
        spark.conf().set("spark.sql.codegen.wholeStage", "true");
        boolean factorySet = spark.conf().getOption("spark.sql.codegen.factoryMode").isDefined();

        Scorer scorer = ModelLoading.loadPipeline(spark,
                new LocalBundleStore(ApiFixtures.bundleRoot()).fetch("churn", "1"));

        assertThat(spark.conf().get("spark.sql.codegen.wholeStage")).isEqualTo("true");
        assertThat(spark.conf().getOption("spark.sql.codegen.factoryMode").isDefined()).isEqualTo(factorySet);
        List<Map<String, Object>> predictions = scorer.predict(List.of(Map.of("plan", "basic", "region", "north",
                "tenure", 2.0, "charges", 31.5, "calls", 4, "autopay", false)), null);
        assertThat(predictions).hasSize(1);
        assertThat(predictions.get(0)).containsKey("prediction");
    }

    @Test
    void load_takesTheSnapshot_whenTheBundleHasOne_andFallsBackToPipelineModelLoadWithout() throws Exception {
        SparkSession spark = TestSpark.session();
        Bundle bundle = new LocalBundleStore(ApiFixtures.bundleRoot()).fetch("churn", "1");
        assertThat(bundle.directory().resolve(PipelineSnapshot.FILE)).isRegularFile();

        FastPathScorer fromSnapshot = (FastPathScorer) ModelLoading.load(() -> spark, bundle);
        assertThat(fromSnapshot.awaitVerification(Duration.ofMinutes(2))).endsWith("(recorded and live)");

        Path copy = Files.createTempDirectory("mlserve-no-snapshot").resolve("churn");
        BundleFiles.copyTree(bundle.directory(), copy);
        Files.delete(copy.resolve(PipelineSnapshot.FILE));
        FastPathScorer loaded = (FastPathScorer) ModelLoading.load(() -> spark, new Bundle(bundle.metadata(), copy));
        assertThat(loaded.fastPathStatus()).startsWith("on: self-check identical on ").doesNotContain("recorded");
        List<Map<String, Object>> records = List.of(Map.of("plan", "basic", "region", "north", "tenure", 2.0,
                "charges", 31.5, "calls", 4, "autopay", false));
        assertThat(Parity.exact(fromSnapshot.predict(records, null))).isEqualTo(Parity.exact(loaded.predict(records, null)));
    }
}
