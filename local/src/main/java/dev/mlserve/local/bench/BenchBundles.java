package dev.mlserve.local.bench;

import dev.mlserve.jobs.train.ChurnDemoData;
import dev.mlserve.jobs.train.TrainArgs;
import dev.mlserve.jobs.train.TrainJob;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.fast.PipelineSnapshot;
import dev.mlserve.scoring.fast.SampleRecords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bench's two bundles under {@code <dir>/models}: the demo churn bundle (TrainJob, logistic
 * regression) and {@value #FOREST} (the same churn data: indexed strings + imputed numbers into a
 * {@value #TREES}-tree random forest). Trained once, then reused.
 */
final class BenchBundles {
    static final String FOREST = "churn-forest";
    static final int TREES = 50;
    private static final Logger LOG = LoggerFactory.getLogger(BenchBundles.class);
    private static final String LABEL_INDEX = "label_index";

    private BenchBundles() {
    }

    /** A bundle from an earlier run; one without a usable pipeline snapshot (older code) gets one now. */
    private static Bundle reuse(SparkSession spark, Path dir) {
        Bundle bundle = LocalBundleStore.open(dir);
        if (!PipelineSnapshot.usable(dir)) {
            PipelineSnapshot.write(spark, dir, bundle.metadata(), SampleRecords.read(dir).orElse(List.of()));
        }
        return bundle;
    }

    static Bundle demo(SparkSession spark, Path models) {
        Path dir = models.resolve(ChurnDemoData.NAME).resolve("1");
        if (Files.isRegularFile(dir.resolve(Bundle.METADATA_FILE))) {
            return reuse(spark, dir);
        }
        return TrainJob.run(spark, TrainArgs.parse(new String[] {"--demo", "--out", models.toString()}));
    }

    static Bundle forest(SparkSession spark, Path models) {
        Path dir = models.resolve(FOREST).resolve("1");
        if (Files.isRegularFile(dir.resolve(Bundle.METADATA_FILE))) {
            return reuse(spark, dir);
        }
        long start = System.nanoTime();
        Dataset<Row> data = ChurnDemoData.generate(spark, 20_000, 7).drop(ChurnDemoData.ID).cache();
        List<String> categorical = List.of("plan", "contract", "paymentMethod", "region");
        List<String> numeric = List.of("tenureMonths", "monthlyCharges", "supportCalls", "dataUsageGb");
        String[] indexed = categorical.stream().map(c -> c + "_index").toArray(String[]::new);
        String[] imputed = numeric.stream().map(c -> c + "_imputed").toArray(String[]::new);
        StringIndexerModel labels = new StringIndexer().setInputCol(ChurnDemoData.LABEL).setOutputCol(LABEL_INDEX)
                .setStringOrderType("alphabetAsc").fit(data);
        Dataset<Row>[] split = labels.transform(data).randomSplit(new double[] {0.8, 0.2}, 7);
        String[] assembled = new String[indexed.length + imputed.length + 1];
        System.arraycopy(indexed, 0, assembled, 0, indexed.length);
        System.arraycopy(imputed, 0, assembled, indexed.length, imputed.length);
        assembled[assembled.length - 1] = "paperlessBilling";
        PipelineStage[] stages = {
            new StringIndexer().setInputCols(categorical.toArray(String[]::new)).setOutputCols(indexed)
                    .setHandleInvalid("keep"),
            new Imputer().setInputCols(numeric.toArray(String[]::new)).setOutputCols(imputed).setStrategy("median"),
            new VectorAssembler().setInputCols(assembled).setOutputCol("features").setHandleInvalid("keep"),
            new RandomForestClassifier().setLabelCol(LABEL_INDEX).setNumTrees(TREES).setMaxDepth(8).setSeed(7),
            new IndexToString().setInputCol("prediction").setOutputCol("predictedLabel")
                    .setLabels(labels.labelsArray()[0]),
        };
        PipelineModel model = new Pipeline().setStages(stages).fit(split[0]);
        double auc = new BinaryClassificationEvaluator().setLabelCol(LABEL_INDEX).setRawPredictionCol("rawPrediction")
                .evaluate(model.transform(split[1]));
        StructType input = new StructType(java.util.Arrays.stream(ChurnDemoData.SCHEMA.fields())
                .filter(f -> !f.name().equals(ChurnDemoData.ID) && !f.name().equals(ChurnDemoData.LABEL))
                .toArray(StructField[]::new));
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("areaUnderROC", auc);
        metrics.put("trees", (double) TREES);
        Bundle bundle = new BundleWriter(models).write(model, FOREST, "1", input, null, metrics);
        data.unpersist();
        LOG.info("bench forest trained: trees={} auc={} ms={}", TREES, auc, (System.nanoTime() - start) / 1_000_000);
        return bundle;
    }
}
