package dev.mlserve.functions.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.LocalBundleStore;
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

        Scorer scorer = ModelLoading.load(spark, new LocalBundleStore(ApiFixtures.bundleRoot()).fetch("churn", "1"));

        assertThat(spark.conf().get("spark.sql.codegen.wholeStage")).isEqualTo("true");
        assertThat(spark.conf().getOption("spark.sql.codegen.factoryMode").isDefined()).isEqualTo(factorySet);
        List<Map<String, Object>> predictions = scorer.predict(List.of(Map.of("plan", "basic", "region", "north",
                "tenure", 2.0, "charges", 31.5, "calls", 4, "autopay", false)), null);
        assertThat(predictions).hasSize(1);
        assertThat(predictions.get(0)).containsKey("prediction");
    }
}
