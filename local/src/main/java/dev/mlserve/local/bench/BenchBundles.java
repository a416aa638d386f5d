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
 * The bench's bundles under {@code <dir>/models}, all on the churn data: the demo churn bundle
 * (TrainJob, logistic regression), {@value #FOREST} (indexed strings + imputed numbers into a
 * {@value #TREES}-tree random forest), {@value #TEXT} (the classic text pipeline: the string
 * columns as one text, Tokenizer + HashingTF + logistic regression) and {@value #SQL}
 * (SQLTransformer arithmetic and CASE + MinMaxScaler + LinearSVC). The last two have no
 * hand-written steps: their fast path is Spark's own plan. Trained once, then reused.
 */
final class BenchBundles {
    static final String FOREST = "churn-forest";
    static final int TREES = 50;
    static final String TEXT = "churn-text";
    static final String SQL = "churn-sql";
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

    /** Tokenizer + HashingTF + logistic regression over the string columns joined into one text. */
    static Bundle text(SparkSession spark, Path models) {
        return fitted(spark, models, TEXT, List.of("plan", "contract", "paymentMethod", "region"),
                new org.apache.spark.ml.feature.SQLTransformer().setStatement("SELECT *, concat_ws(' ', plan, contract,"
                        + " replace(coalesce(paymentMethod, 'none'), '-', ' '), coalesce(region, 'none')) AS text"
                        + " FROM __THIS__"),
                new org.apache.spark.ml.feature.Tokenizer().setInputCol("text").setOutputCol("words"),
                new org.apache.spark.ml.feature.HashingTF().setInputCol("words").setOutputCol("tf").setNumFeatures(256),
                new org.apache.spark.ml.classification.LogisticRegression().setFeaturesCol("tf")
                        .setLabelCol(LABEL_INDEX).setMaxIter(20));
    }

    /** SQLTransformer (arithmetic, CASE, coalesce, casts) + MinMaxScaler + LinearSVC. */
    static Bundle sql(SparkSession spark, Path models) {
        return fitted(spark, models, SQL, List.of("plan", "contract", "tenureMonths", "monthlyCharges", "supportCalls",
                        "dataUsageGb", "paperlessBilling"),
                new org.apache.spark.ml.feature.SQLTransformer().setStatement("SELECT *,"
                        + " coalesce(tenureMonths, 0) * monthlyCharges AS spend,"
                        + " CASE plan WHEN 'premium' THEN 2.0 WHEN 'standard' THEN 1.0 ELSE 0.0 END AS tier,"
                        + " CASE WHEN contract = 'month-to-month' THEN 1.0 ELSE 0.0 END AS monthly,"
                        + " cast(coalesce(supportCalls, 0) AS DOUBLE) AS calls,"
                        + " coalesce(dataUsageGb, -1.0) AS usage, cast(paperlessBilling AS DOUBLE) AS paperless"
                        + " FROM __THIS__"),
                new VectorAssembler().setInputCols(new String[] {"spend", "tier", "monthly", "calls", "usage",
                    "paperless", "monthlyCharges"}).setOutputCol("raw"),
                new org.apache.spark.ml.feature.MinMaxScaler().setInputCol("raw").setOutputCol("features"),
                new org.apache.spark.ml.classification.LinearSVC().setLabelCol(LABEL_INDEX).setMaxIter(20));
    }

    private static Bundle fitted(SparkSession spark, Path models, String name, List<String> inputs,
                                 PipelineStage... stages) {
        Path dir = models.resolve(name).resolve("1");
        if (Files.isRegularFile(dir.resolve(Bundle.METADATA_FILE))) {
            return reuse(spark, dir);
        }
        long start = System.nanoTime();
        Dataset<Row> data = ChurnDemoData.generate(spark, 20_000, 11).drop(ChurnDemoData.ID);
        Dataset<Row> labelled = new StringIndexer().setInputCol(ChurnDemoData.LABEL).setOutputCol(LABEL_INDEX)
                .setStringOrderType("alphabetAsc").fit(data).transform(data).cache();
        PipelineModel model = new Pipeline().setStages(stages).fit(labelled);
        StructType input = new StructType(java.util.Arrays.stream(ChurnDemoData.SCHEMA.fields())
                .filter(f -> inputs.contains(f.name())).toArray(StructField[]::new));
        List<Map<String, Object>> samples = SampleRecords.fromData(labelled, dev.mlserve.scoring.bundle.BundleMetadata
                .fieldsOf(input), SampleRecords.DEFAULT_COUNT, 11);
        Bundle bundle = new BundleWriter(models).write(model, name, "1", input, null, Map.of(), samples);
        labelled.unpersist();
        LOG.info("bench bundle trained: name={} ms={}", name, (System.nanoTime() - start) / 1_000_000);
        return bundle;
    }
}
