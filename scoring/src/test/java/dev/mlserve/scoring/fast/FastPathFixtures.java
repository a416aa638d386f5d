package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.OutputValues;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.TestSpark;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.DecisionTreeClassifier;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.regression.RandomForestRegressor;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Pipelines beyond the parity suite's three (the demo churn shape, a forest regression, one with a
 * stage the fast path refuses, one with handleInvalid "error"), trained once per JVM on the parity
 * schema, and the varied records parity is measured on.
 */
final class FastPathFixtures {
    static final StructType SCHEMA = ParityPipelines.SCHEMA;
    private static final String[] PLANS = {"basic", "standard", "premium"};
    private static final String[] REGIONS = {"north", "south", "east", "west"};
    private static final double[] EDGES = {0.0, -0.0, 1e300, -1e300, 6.0, 12.0, 24.0, 48.0, Double.MIN_VALUE, -5.0,
        1e-300, 72.0, 0.5};
    private static Dataset<Row> training;

    private FastPathFixtures() {
    }

    static BundleMetadata metadata(String name) {
        return new BundleMetadata(name, "1", "3.5.6", "2026-11-25T00:00:00Z", BundleMetadata.fieldsOf(SCHEMA),
                List.of(), Map.of());
    }

    static PipelineScorer scorer(String name, PipelineModel model) {
        return new PipelineScorer(TestSpark.session(), metadata(name), model);
    }

    /**
     * Records as parsed JSON gives them: nulls where nullable, unseen and empty categories, zeros
     * (all-zero rows make sparse vectors), signs, extremes, bucket boundaries, int limits.
     */
    static List<Map<String, Object>> records(int count, long seed) {
        Random r = new Random(seed);
        List<Map<String, Object>> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            boolean zeros = r.nextInt(15) == 0;
            int p = r.nextInt(30);
            m.put("plan", p == 0 ? "enterprise" : p == 1 ? "" : PLANS[r.nextInt(PLANS.length)]);
            int g = r.nextInt(20);
            m.put("region", g < 2 ? null : g == 2 ? "mars" : REGIONS[r.nextInt(REGIONS.length)]);
            m.put("tenure", zeros ? Double.valueOf(0.0) : number(r, Math.round(r.nextDouble() * 720) / 10.0));
            m.put("charges", zeros ? Double.valueOf(0.0) : number(r, 15 + r.nextDouble() * 100));
            int c = r.nextInt(16);
            m.put("calls", zeros ? Integer.valueOf(0) : c == 0 ? null : c == 1
                    ? new int[] {0, Integer.MAX_VALUE, Integer.MIN_VALUE, -3}[r.nextInt(4)] : Integer.valueOf(r.nextInt(9)));
            m.put("autopay", zeros ? Boolean.FALSE : r.nextInt(8) == 0 ? null : Boolean.valueOf(r.nextBoolean()));
            records.add(m);
        }
        return records;
    }

    private static Double number(Random r, double usual) {
        int k = r.nextInt(10);
        return k == 0 ? null : k == 1 ? EDGES[r.nextInt(EDGES.length)] : usual;
    }

    /** The demo churn pipeline's stages (ClassifierTrainer), on the parity schema. */
    static synchronized PipelineModel churnShape() {
        Dataset<Row> data = training();
        StringIndexerModel labels = new StringIndexer().setInputCol("churn").setOutputCol("label_index")
                .setStringOrderType("alphabetAsc").fit(data);
        PipelineStage[] stages = {
            new StringIndexer().setInputCols(new String[] {"plan", "region"})
                    .setOutputCols(new String[] {"plan_index", "region_index"}).setHandleInvalid("keep"),
            new OneHotEncoder().setInputCols(new String[] {"plan_index", "region_index"})
                    .setOutputCols(new String[] {"plan_onehot", "region_onehot"}).setHandleInvalid("keep"),
            new Imputer().setInputCols(new String[] {"tenure", "charges", "calls"})
                    .setOutputCols(new String[] {"tenure_imputed", "charges_imputed", "calls_imputed"})
                    .setStrategy("median"),
            new VectorAssembler().setInputCols(new String[] {"plan_onehot", "region_onehot", "tenure_imputed",
                "charges_imputed", "calls_imputed", "autopay"}).setOutputCol("rawFeatures").setHandleInvalid("keep"),
            new StandardScaler().setInputCol("rawFeatures").setOutputCol("features").setWithStd(true).setWithMean(false),
            new LogisticRegression().setLabelCol("label_index").setMaxIter(100).setRegParam(0.01).setElasticNetParam(0.0),
            new IndexToString().setInputCol("prediction").setOutputCol("predictedLabel").setLabels(labels.labelsArray()[0])
        };
        return new Pipeline().setStages(stages).fit(labels.transform(data));
    }

    /** Imputer + Bucketizer on a raw nullable column + StringIndexer + assembler + forest regression. */
    static synchronized PipelineModel forestRegression() {
        PipelineStage[] stages = {
            new Imputer().setInputCols(new String[] {"charges"}).setOutputCols(new String[] {"charges_f"}),
            new Bucketizer().setInputCols(new String[] {"tenure", "calls"})
                    .setOutputCols(new String[] {"tenure_b", "calls_b"})
                    .setSplitsArray(new double[][] {{Double.NEGATIVE_INFINITY, 6, 12, 24, 48, Double.POSITIVE_INFINITY},
                        {Double.NEGATIVE_INFINITY, 2, 5, Double.POSITIVE_INFINITY}})
                    .setHandleInvalid("keep"),
            new StringIndexer().setInputCols(new String[] {"plan", "region"})
                    .setOutputCols(new String[] {"plan_idx", "region_idx"}).setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"plan_idx", "region_idx", "tenure_b", "calls_b",
                "charges_f", "autopay"}).setOutputCol("features").setHandleInvalid("keep"),
            new RandomForestRegressor().setLabelCol("spend").setNumTrees(8).setMaxDepth(5).setSeed(9)
        };
        return new Pipeline().setStages(stages).fit(training());
    }

    /** StringIndexer and assembler with handleInvalid "error", mean-and-std scaling, a decision tree. */
    static synchronized PipelineModel strictTree() {
        PipelineStage[] stages = {
            new StringIndexer().setInputCol("plan").setOutputCol("plan_idx"),
            new Imputer().setInputCols(new String[] {"tenure", "charges"})
                    .setOutputCols(new String[] {"tenure_f", "charges_f"}).setStrategy("mean"),
            new VectorAssembler().setInputCols(new String[] {"plan_idx", "tenure_f", "charges_f"})
                    .setOutputCol("raw"),
            new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true).setWithStd(true),
            new DecisionTreeClassifier().setMaxDepth(4)
        };
        return new Pipeline().setStages(stages).fit(training());
    }

    /**
     * Gradient-boosted trees for binary classification (margin as rawPrediction, the logistic loss's
     * probability), over indexed, imputed and bucketized features, with labels mapped back.
     */
    static synchronized PipelineModel gbtClassifier() {
        Dataset<Row> data = training();
        StringIndexerModel labels = new StringIndexer().setInputCol("churn").setOutputCol("label_index").fit(data);
        PipelineStage[] stages = {
            new StringIndexer().setInputCols(new String[] {"plan", "region"})
                    .setOutputCols(new String[] {"plan_idx", "region_idx"}).setHandleInvalid("keep"),
            new Imputer().setInputCols(new String[] {"tenure", "charges"})
                    .setOutputCols(new String[] {"tenure_f", "charges_f"}),
            new Bucketizer().setInputCol("calls").setOutputCol("calls_b")
                    .setSplits(new double[] {Double.NEGATIVE_INFINITY, 2, 5, Double.POSITIVE_INFINITY})
                    .setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"plan_idx", "region_idx", "tenure_f", "charges_f",
                "calls_b", "autopay"}).setOutputCol("features").setHandleInvalid("keep"),
            new GBTClassifier().setLabelCol("label_index").setMaxIter(15).setMaxDepth(4).setSeed(11),
            new IndexToString().setInputCol("prediction").setOutputCol("predictedLabel").setLabels(labels.labelsArray()[0])
        };
        return new Pipeline().setStages(stages).fit(labels.transform(data));
    }

    /** A SQLTransformer the fast path has no row-level equivalent for. */
    /**
     * A pipeline neither the hand-written steps nor the plan compiler take: its SQLTransformer calls
     * {@code rand}, whose value depends on the row's position (multiplied by 0, so the features do not).
     */
    static synchronized PipelineModel withRowPositionDependentSql() {
        PipelineStage[] stages = {
            new SQLTransformer().setStatement("SELECT *, coalesce(tenure, 0) * 2 + 0 * rand(3) AS tenure2 FROM __THIS__"),
            new StringIndexer().setInputCol("plan").setOutputCol("plan_idx").setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"plan_idx", "tenure2"}).setOutputCol("features")
                    .setHandleInvalid("keep"),
            new LogisticRegression().setMaxIter(20)
        };
        return new Pipeline().setStages(stages).fit(training());
    }

    static synchronized PipelineModel withSqlTransformer() {
        PipelineStage[] stages = {
            new SQLTransformer().setStatement("SELECT *, coalesce(tenure, 0) * 2 AS tenure2 FROM __THIS__"),
            new StringIndexer().setInputCol("plan").setOutputCol("plan_idx").setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"plan_idx", "tenure2"}).setOutputCol("features")
                    .setHandleInvalid("keep"),
            new LogisticRegression().setMaxIter(20)
        };
        return new Pipeline().setStages(stages).fit(training());
    }

    /** Plain {@code transform} of the validated records: the JSON-ready values of the columns. */
    static List<Map<String, Object>> plain(PipelineModel model, List<Object[]> rows, List<String> columns) {
        SparkSession spark = TestSpark.session();
        List<Row> sparkRows = new ArrayList<>(rows.size());
        for (Object[] v : rows) {
            sparkRows.add(RowFactory.create(v));
        }
        Column[] selected = columns.stream().map(functions::col).toArray(Column[]::new);
        List<Map<String, Object>> out = new ArrayList<>(rows.size());
        for (Row row : model.transform(spark.createDataFrame(sparkRows, SCHEMA)).select(selected).collectAsList()) {
            out.add(OutputValues.toMap(row, columns));
        }
        return out;
    }

    static RecordValidator validator() {
        return new RecordValidator(BundleMetadata.fieldsOf(SCHEMA), RecordValidator.Mode.JSON, false);
    }

    private static Dataset<Row> training() {
        if (training != null) {
            return training;
        }
        Random r = new Random(17);
        List<Row> rows = new ArrayList<>();
        StructType schema = SCHEMA.add("churn", DataTypes.StringType, false).add("label", DataTypes.DoubleType, false)
                .add("spend", DataTypes.DoubleType, false);
        for (int i = 0; i < 400; i++) {
            String plan = PLANS[r.nextInt(PLANS.length)];
            String region = r.nextInt(12) == 0 ? null : REGIONS[r.nextInt(REGIONS.length)];
            Double tenure = Math.round(r.nextDouble() * 720) / 10.0;
            Double charges = r.nextInt(10) == 0 ? null : 15 + r.nextDouble() * 100;
            Integer calls = r.nextInt(9);
            Boolean autopay = r.nextBoolean();
            double t = tenure == null ? 30 : tenure;
            double ch = charges == null ? 60 : charges;
            double z = -1.0 + 0.35 * (calls == null ? 3 : calls) - 0.04 * t + 0.01 * ch
                    + (plan.equals("basic") ? 0.6 : 0) - (Boolean.TRUE.equals(autopay) ? 0.5 : 0) + r.nextGaussian() * 0.5;
            boolean churn = z > 0;
            double spend = ch * (plan.equals("premium") ? 1.5 : 1.0) + t * 0.8 + r.nextGaussian() * 5;
            rows.add(RowFactory.create(plan, region, tenure, charges, calls, autopay, churn ? "yes" : "no",
                    churn ? 1.0 : 0.0, spend));
        }
        training = TestSpark.session().createDataFrame(rows, schema).cache();
        return training;
    }
}
