package dev.mlserve.jobs.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fits a classification pipeline on any table: string features are indexed and one-hot encoded,
 * numeric ones imputed (median), everything assembled and scaled into a logistic regression; the
 * label is indexed outside the pipeline and mapped back by IndexToString, so scoring needs no
 * label column and answers {@code predictedLabel} in the data's own terms.
 */
public final class ClassifierTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(ClassifierTrainer.class);
    private static final String LABEL_INDEX = "label_index";

    /** The fitted pipeline, the input schema scoring will require, and holdout metrics. */
    public record Result(PipelineModel model, StructType inputSchema, Map<String, Double> metrics) {
    }

    private ClassifierTrainer() {
    }

    public static Result train(Dataset<Row> data, String label, List<String> exclude, long seed) {
        StructType schema = data.schema();
        if (!List.of(schema.fieldNames()).contains(label)) {
            throw new IllegalArgumentException("label column '" + label + "' is not in the data (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        List<String> categorical = new ArrayList<>();
        List<String> numeric = new ArrayList<>();
        List<String> flags = new ArrayList<>();
        StructType inputSchema = new StructType();
        for (StructField f : schema.fields()) {
            if (f.name().equals(label) || exclude.contains(f.name())) {
                continue;
            }
            if (f.dataType() instanceof StringType) {
                categorical.add(f.name());
            } else if (f.dataType() instanceof NumericType) {
                numeric.add(f.name());
            } else if (f.dataType() instanceof BooleanType) {
                flags.add(f.name());
            } else {
                throw new IllegalArgumentException("column '" + f.name() + "' has type " + f.dataType().simpleString()
                        + "; features must be string, numeric or boolean (exclude it with --exclude)");
            }
            inputSchema = inputSchema.add(f);
        }
        if (inputSchema.isEmpty()) {
            throw new IllegalArgumentException("no feature columns left besides the label");
        }
        Dataset<Row> labelled = data
                .filter(functions.col(label).isNotNull())
                .withColumn(label, functions.col(label).cast("string"));
        StringIndexerModel labels = new StringIndexer().setInputCol(label).setOutputCol(LABEL_INDEX)
                .setStringOrderType("alphabetAsc").fit(labelled);
        Dataset<Row>[] split = labels.transform(labelled).randomSplit(new double[] {0.8, 0.2}, seed);
        Dataset<Row> train = split[0].cache();
        Dataset<Row> holdout = split[1].cache();

        PipelineModel model = new Pipeline().setStages(stages(categorical, numeric, flags, labels.labelsArray()[0]))
                .fit(train);
        Map<String, Double> metrics = evaluate(model, holdout, labels.labelsArray()[0].length);
        metrics.put("trainRows", (double) train.count());
        metrics.put("holdoutRows", (double) holdout.count());
        train.unpersist();
        holdout.unpersist();
        LOG.info("trained: features={} metrics={}", inputSchema.fieldNames().length, metrics);
        return new Result(model, inputSchema, metrics);
    }

    private static PipelineStage[] stages(List<String> categorical, List<String> numeric, List<String> flags,
                                          String[] labelValues) {
        List<PipelineStage> stages = new ArrayList<>();
        List<String> assembled = new ArrayList<>();
        if (!categorical.isEmpty()) {
            String[] idx = categorical.stream().map(c -> c + "_index").toArray(String[]::new);
            String[] vec = categorical.stream().map(c -> c + "_onehot").toArray(String[]::new);
            stages.add(new StringIndexer().setInputCols(categorical.toArray(String[]::new)).setOutputCols(idx)
                    .setHandleInvalid("keep"));
            stages.add(new OneHotEncoder().setInputCols(idx).setOutputCols(vec).setHandleInvalid("keep"));
            assembled.addAll(List.of(vec));
        }
        if (!numeric.isEmpty()) {
            String[] imputed = numeric.stream().map(c -> c + "_imputed").toArray(String[]::new);
            stages.add(new Imputer().setInputCols(numeric.toArray(String[]::new)).setOutputCols(imputed)
                    .setStrategy("median"));
            assembled.addAll(List.of(imputed));
        }
        assembled.addAll(flags);
        stages.add(new VectorAssembler().setInputCols(assembled.toArray(String[]::new)).setOutputCol("rawFeatures")
                .setHandleInvalid("keep"));
        stages.add(new StandardScaler().setInputCol("rawFeatures").setOutputCol("features").setWithStd(true)
                .setWithMean(false));
        stages.add(new LogisticRegression().setLabelCol(LABEL_INDEX).setMaxIter(100).setRegParam(0.01)
                .setElasticNetParam(0.0));
        stages.add(new IndexToString().setInputCol("prediction").setOutputCol("predictedLabel").setLabels(labelValues));
        return stages.toArray(PipelineStage[]::new);
    }

    private static Map<String, Double> evaluate(PipelineModel model, Dataset<Row> holdout, int classes) {
        Dataset<Row> scored = model.transform(holdout).cache();
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (classes == 2) {
            metrics.put("areaUnderROC", new BinaryClassificationEvaluator().setLabelCol(LABEL_INDEX)
                    .setRawPredictionCol("rawPrediction").setMetricName("areaUnderROC").evaluate(scored));
        }
        MulticlassClassificationEvaluator multi = new MulticlassClassificationEvaluator().setLabelCol(LABEL_INDEX);
        metrics.put("accuracy", multi.setMetricName("accuracy").evaluate(scored));
        metrics.put("f1", multi.setMetricName("f1").evaluate(scored));
        scored.unpersist();
        return metrics;
    }
}
