package dev.mlserve.scoring.testing;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.regression.GBTRegressor;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The pipelines of the parity suite, trained once per JVM on small seeded data and saved as
 * bundles: one-hot + logistic regression, imputer + random forest with string labels mapped back,
 * bucketizer + GBT regression.
 */
public final class ParityPipelines {
    public enum Kind { ONE_HOT_LOGISTIC, IMPUTER_FOREST, BUCKETIZER_GBT }

    /** Input schema shared by the three pipelines; records may carry nulls where nullable. */
    public static final StructType SCHEMA = new StructType()
            .add("plan", DataTypes.StringType, false)
            .add("region", DataTypes.StringType, true)
            .add("tenure", DataTypes.DoubleType, true)
            .add("charges", DataTypes.DoubleType, true)
            .add("calls", DataTypes.IntegerType, true)
            .add("autopay", DataTypes.BooleanType, true);

    private static final String[] PLANS = {"basic", "standard", "premium"};
    private static final String[] REGIONS = {"north", "south", "east", "west"};
    private static final Map<Kind, Bundle> BUNDLES = new EnumMap<>(Kind.class);
    private static Path root;

    private ParityPipelines() {
    }

    public static synchronized Bundle bundle(Kind kind) {
        return BUNDLES.computeIfAbsent(kind, ParityPipelines::train);
    }

    /** Varied records as parsed JSON would give them: nulls, unseen categories, edge values. */
    public static List<Map<String, Object>> records(int count, long seed) {
        Random r = new Random(seed);
        List<Map<String, Object>> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("plan", r.nextInt(20) == 0 ? "enterprise" : PLANS[r.nextInt(PLANS.length)]);
            m.put("region", r.nextInt(15) == 0 ? null : REGIONS[r.nextInt(REGIONS.length)]);
            m.put("tenure", r.nextInt(10) == 0 ? null : Math.round(r.nextDouble() * 720) / 10.0);
            m.put("charges", r.nextInt(12) == 0 ? null : 15 + r.nextDouble() * 100);
            m.put("calls", r.nextInt(12) == 0 ? null : r.nextInt(9));
            m.put("autopay", r.nextInt(12) == 0 ? null : r.nextBoolean());
            records.add(m);
        }
        return records;
    }

    /** The same records as Spark rows of {@link #SCHEMA}, for plain {@code transform}. */
    public static Dataset<Row> frame(SparkSession spark, List<Map<String, Object>> records) {
        List<Row> rows = new ArrayList<>();
        for (Map<String, Object> m : records) {
            rows.add(RowFactory.create(m.get("plan"), m.get("region"), m.get("tenure"), m.get("charges"),
                    m.get("calls"), m.get("autopay")));
        }
        return spark.createDataFrame(rows, SCHEMA);
    }

    private static Bundle train(Kind kind) {
        SparkSession spark = TestSpark.session();
        Dataset<Row> data = trainingData(spark);
        PipelineModel model = switch (kind) {
            case ONE_HOT_LOGISTIC -> oneHotLogistic(data);
            case IMPUTER_FOREST -> imputerForest(data);
            case BUCKETIZER_GBT -> bucketizerGbt(data);
        };
        return new BundleWriter(root()).write(model, kind.name().toLowerCase().replace('_', '-'), "1", SCHEMA,
                null, Map.of());
    }

    private static synchronized Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("mlserve-parity-bundles");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    private static Dataset<Row> trainingData(SparkSession spark) {
        Random r = new Random(7);
        List<Row> rows = new ArrayList<>();
        StructType schema = SCHEMA.add("churn", DataTypes.StringType, false).add("label", DataTypes.DoubleType, false)
                .add("spend", DataTypes.DoubleType, false);
        for (int i = 0; i < 400; i++) {
            String plan = PLANS[r.nextInt(PLANS.length)];
            String region = REGIONS[r.nextInt(REGIONS.length)];
            Double tenure = r.nextInt(10) == 0 ? null : Math.round(r.nextDouble() * 720) / 10.0;
            Double charges = 15 + r.nextDouble() * 100;
            Integer calls = r.nextInt(9);
            Boolean autopay = r.nextBoolean();
            double t = tenure == null ? 30 : tenure;
            double z = -1.0 + 0.35 * calls - 0.04 * t + 0.01 * charges + (plan.equals("basic") ? 0.6 : 0)
                    - (autopay ? 0.5 : 0) + r.nextGaussian() * 0.5;
            boolean churn = z > 0;
            double spend = charges * (plan.equals("premium") ? 1.5 : 1.0) + t * 0.8 + r.nextGaussian() * 5;
            rows.add(RowFactory.create(plan, region, tenure, charges, calls, autopay, churn ? "yes" : "no",
                    churn ? 1.0 : 0.0, spend));
        }
        return spark.createDataFrame(rows, schema);
    }

    private static PipelineModel oneHotLogistic(Dataset<Row> data) {
        PipelineStage[] stages = {
            new StringIndexer().setInputCols(new String[] {"plan", "region"})
                    .setOutputCols(new String[] {"plan_idx", "region_idx"}).setHandleInvalid("keep"),
            new OneHotEncoder().setInputCols(new String[] {"plan_idx", "region_idx"})
                    .setOutputCols(new String[] {"plan_vec", "region_vec"}).setHandleInvalid("keep"),
            new Imputer().setInputCols(new String[] {"tenure", "charges"})
                    .setOutputCols(new String[] {"tenure_f", "charges_f"}).setStrategy("median"),
            new Imputer().setInputCols(new String[] {"calls"}).setOutputCols(new String[] {"calls_f"}),
            new VectorAssembler().setInputCols(new String[] {"plan_vec", "region_vec", "tenure_f", "charges_f",
                "calls_f", "autopay"}).setOutputCol("raw").setHandleInvalid("keep"),
            new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(false).setWithStd(true),
            new LogisticRegression().setMaxIter(50).setRegParam(0.01)
        };
        return new Pipeline().setStages(stages).fit(data);
    }

    private static PipelineModel imputerForest(Dataset<Row> data) {
        StringIndexerModel labels = new StringIndexer().setInputCol("churn").setOutputCol("label_idx").fit(data);
        Dataset<Row> labelled = labels.transform(data);
        PipelineStage[] stages = {
            new Imputer().setInputCols(new String[] {"tenure", "charges"})
                    .setOutputCols(new String[] {"tenure_f", "charges_f"}),
            new StringIndexer().setInputCols(new String[] {"plan", "region"})
                    .setOutputCols(new String[] {"plan_idx", "region_idx"}).setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"plan_idx", "region_idx", "tenure_f", "charges_f",
                "calls"}).setOutputCol("features").setHandleInvalid("keep"),
            new RandomForestClassifier().setLabelCol("label_idx").setNumTrees(12).setMaxDepth(5).setSeed(3),
            new IndexToString().setInputCol("prediction").setOutputCol("predictedLabel").setLabels(labels.labelsArray()[0])
        };
        return new Pipeline().setStages(stages).fit(labelled);
    }

    private static PipelineModel bucketizerGbt(Dataset<Row> data) {
        PipelineStage[] stages = {
            new Imputer().setInputCols(new String[] {"tenure", "charges"})
                    .setOutputCols(new String[] {"tenure_f", "charges_f"}),
            new Bucketizer().setInputCol("tenure_f").setOutputCol("tenure_bucket")
                    .setSplits(new double[] {Double.NEGATIVE_INFINITY, 6, 12, 24, 48, Double.POSITIVE_INFINITY})
                    .setHandleInvalid("keep"),
            new StringIndexer().setInputCol("region").setOutputCol("region_idx").setHandleInvalid("keep"),
            new OneHotEncoder().setInputCols(new String[] {"region_idx", "tenure_bucket"})
                    .setOutputCols(new String[] {"region_vec", "tenure_vec"}).setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"region_vec", "tenure_vec", "charges_f"})
                    .setOutputCol("features").setHandleInvalid("keep"),
            new GBTRegressor().setLabelCol("spend").setMaxIter(10).setMaxDepth(3).setSeed(5)
        };
        return new Pipeline().setStages(stages).fit(data);
    }
}
