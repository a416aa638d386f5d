package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.score.OutputValues;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.TestSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.DecisionTreeClassifier;
import org.apache.spark.ml.classification.FMClassifier;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.ml.classification.LinearSVC;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.classification.NaiveBayes;
import org.apache.spark.ml.classification.OneVsRest;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.clustering.BisectingKMeans;
import org.apache.spark.ml.clustering.GaussianMixture;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.LDA;
import org.apache.spark.ml.feature.Binarizer;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSH;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.ml.feature.ChiSqSelector;
import org.apache.spark.ml.feature.CountVectorizer;
import org.apache.spark.ml.feature.DCT;
import org.apache.spark.ml.feature.ElementwiseProduct;
import org.apache.spark.ml.feature.FeatureHasher;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.feature.IDF;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.Interaction;
import org.apache.spark.ml.feature.MaxAbsScaler;
import org.apache.spark.ml.feature.MinHashLSH;
import org.apache.spark.ml.feature.MinMaxScaler;
import org.apache.spark.ml.feature.NGram;
import org.apache.spark.ml.feature.Normalizer;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.PCA;
import org.apache.spark.ml.feature.PolynomialExpansion;
import org.apache.spark.ml.feature.QuantileDiscretizer;
import org.apache.spark.ml.feature.RFormula;
import org.apache.spark.ml.feature.RegexTokenizer;
import org.apache.spark.ml.feature.RobustScaler;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StopWordsRemover;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.Tokenizer;
import org.apache.spark.ml.feature.UnivariateFeatureSelector;
import org.apache.spark.ml.feature.VarianceThresholdSelector;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.feature.VectorIndexer;
import org.apache.spark.ml.feature.VectorSizeHint;
import org.apache.spark.ml.feature.VectorSlicer;
import org.apache.spark.ml.feature.Word2Vec;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.AFTSurvivalRegression;
import org.apache.spark.ml.regression.DecisionTreeRegressor;
import org.apache.spark.ml.regression.FMRegressor;
import org.apache.spark.ml.regression.GBTRegressor;
import org.apache.spark.ml.regression.GeneralizedLinearRegression;
import org.apache.spark.ml.regression.IsotonicRegression;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.ml.regression.RandomForestRegressor;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.JavaConverters;

/**
 * Stage coverage of the fast path: every row-wise feature transformer and model of Spark 3.5's
 * {@code org.apache.spark.ml} in a fitted pipeline (five pipelines, several stages each), then 2,000
 * varied records (nulls, unseen categories, zeros, signed zeros, large values) scored on the fast
 * path and by {@code transform}: every output column of every record identical (doubles and floats
 * by {@code equals}, vectors by type, dense or sparse, and values, arrays element by element), the
 * path taken asserted (hand-written steps or Spark's compiled plan) and the request counted as
 * answered by the fast path. One pipeline is saved as a bundle and loaded as the service loads it;
 * the others are scored as fitted, since saving and loading dominated the run time and are not what
 * the stage classes test. Models train with few iterations and shallow trees for the same reason:
 * the comparison is with {@code transform} of the same fitted model, whatever its quality.
 */
class StageCoverageParityTest {
    private static final String[] WORDS = {"cheap", "offer", "meeting", "report", "win", "agenda", "prize", "notes",
        "the", "a", "and", "of", "Urgent", "LUNCH", "free!", "budget,", "x"};
    private static final String[] CATS = {"a", "b", "c", "d"};
    private static final String[] COLORS = {"red", "green", "blue"};
    private static final double[] EDGES = {0.0, -0.0, 1e6, -1e6, 1e-300, 4.9e-324};
    private static final int RECORDS = 2000;

    static final StructType INPUT = new StructType()
            .add("text", DataTypes.StringType)
            .add("cat", DataTypes.StringType)
            .add("color", DataTypes.StringType)
            .add("x1", DataTypes.DoubleType)
            .add("x2", DataTypes.DoubleType)
            .add("n", DataTypes.IntegerType)
            .add("f", DataTypes.FloatType)
            .add("l", DataTypes.LongType)
            .add("b", DataTypes.BooleanType);
    private static final StructType TRAINING = INPUT
            .add("label", DataTypes.DoubleType)
            .add("klass", DataTypes.DoubleType)
            .add("y", DataTypes.DoubleType)
            .add("ypos", DataTypes.DoubleType)
            .add("censor", DataTypes.DoubleType);

    private static Dataset<Row> training;

    /** The five pipelines by test name, in the order the tests ran: fitted two at a time. */
    private static final Map<String, Supplier<PipelineStage[]>> PIPELINES = new LinkedHashMap<>();

    static {
        PIPELINES.put("coverage-classifiers", StageCoverageParityTest::classifiers);
        PIPELINES.put("coverage-hand-written", StageCoverageParityTest::handWritten);
        PIPELINES.put("coverage-text", StageCoverageParityTest::text);
        PIPELINES.put("coverage-regressors", StageCoverageParityTest::regressorsAndClustering);
        PIPELINES.put("coverage-numeric", StageCoverageParityTest::numericFeatures);
    }

    private static final Map<String, CompletableFuture<PipelineModel>> FITTED = new LinkedHashMap<>();

    @TempDir
    Path root;

    private final SparkSession spark = TestSpark.session();

    // ---------------------------------------------------------------- the pipelines

    /** Only stages with hand-written steps: the scorer must pick those over the plan. */
    static PipelineStage[] handWritten() {
        return new PipelineStage[] {
            new StringIndexer().setInputCols(new String[] {"cat", "color"})
                    .setOutputCols(new String[] {"cat_idx", "color_idx"}).setHandleInvalid("keep"),
            new OneHotEncoder().setInputCols(new String[] {"cat_idx", "color_idx"})
                    .setOutputCols(new String[] {"cat_vec", "color_vec"}).setHandleInvalid("keep"),
            new Imputer().setInputCols(new String[] {"x1", "f"}).setOutputCols(new String[] {"x1_f", "f_f"})
                    .setStrategy("median"),
            new Imputer().setInputCols(new String[] {"n"}).setOutputCols(new String[] {"n_f"}),
            new QuantileDiscretizer().setInputCol("x2").setOutputCol("x2_bucket").setNumBuckets(4)
                    .setHandleInvalid("keep"),
            new Bucketizer().setInputCol("x1_f").setOutputCol("x1_bucket")
                    .setSplits(new double[] {Double.NEGATIVE_INFINITY, -2, 0, 2, Double.POSITIVE_INFINITY}),
            new VectorAssembler().setInputCols(new String[] {"cat_vec", "color_vec", "x1_f", "f_f", "n_f", "x2_bucket",
                "x1_bucket", "b", "l"}).setOutputCol("raw").setHandleInvalid("keep"),
            new StandardScaler().setInputCol("raw").setOutputCol("features").setWithStd(true).setWithMean(false),
            new LogisticRegression().setMaxIter(5),
            new IndexToString().setInputCol("prediction").setOutputCol("predictedLabel")
                    .setLabels(new String[] {"no", "yes"}),
            new DecisionTreeClassifier().setMaxDepth(3).setPredictionCol("dtc_prediction")
                    .setRawPredictionCol("dtc_raw").setProbabilityCol("dtc_probability"),
            new RandomForestClassifier().setNumTrees(3).setMaxDepth(3).setSeed(3).setPredictionCol("rfc_prediction")
                    .setRawPredictionCol("rfc_raw").setProbabilityCol("rfc_probability"),
            new GBTClassifier().setMaxIter(2).setMaxDepth(2).setSeed(3).setPredictionCol("gbtc_prediction")
                    .setRawPredictionCol("gbtc_raw").setProbabilityCol("gbtc_probability"),
            new LinearRegression().setLabelCol("y").setRegParam(0.1).setPredictionCol("lin_prediction"),
            new DecisionTreeRegressor().setLabelCol("y").setMaxDepth(3).setPredictionCol("dtr_prediction"),
            new RandomForestRegressor().setLabelCol("y").setNumTrees(3).setMaxDepth(3).setSeed(3)
                    .setPredictionCol("rfr_prediction"),
            new GBTRegressor().setLabelCol("y").setMaxIter(2).setMaxDepth(2).setSeed(3)
                    .setPredictionCol("gbtr_prediction")
        };
    }

    /** Text: tokenizers, stop words, n-grams, term frequencies, embeddings, hashing, topics. */
    static PipelineStage[] text() {
        return new PipelineStage[] {
            new Tokenizer().setInputCol("text").setOutputCol("words"),
            new RegexTokenizer().setInputCol("text").setOutputCol("tokens").setPattern("[^a-z]+").setGaps(true)
                    .setMinTokenLength(2),
            new StopWordsRemover().setInputCol("words").setOutputCol("content"),
            new NGram().setInputCol("content").setOutputCol("bigrams").setN(2),
            new HashingTF().setInputCol("bigrams").setOutputCol("bigram_tf").setNumFeatures(32),
            new CountVectorizer().setInputCol("tokens").setOutputCol("counts").setVocabSize(16).setMinDF(2),
            new IDF().setInputCol("counts").setOutputCol("tfidf"),
            new Word2Vec().setInputCol("tokens").setOutputCol("embedding").setVectorSize(4).setMinCount(1)
                    .setMaxIter(1).setSeed(7).setNumPartitions(1),
            new FeatureHasher().setInputCols(new String[] {"cat", "color", "n", "b", "x2"}).setOutputCol("hashed")
                    .setNumFeatures(16),
            new VectorSizeHint().setInputCol("embedding").setSize(4).setHandleInvalid("error"),
            new VectorAssembler().setInputCols(new String[] {"tfidf", "bigram_tf", "embedding", "hashed"})
                    .setOutputCol("text_features"),
            new NaiveBayes().setFeaturesCol("tfidf").setPredictionCol("nb_prediction").setRawPredictionCol("nb_raw")
                    .setProbabilityCol("nb_probability"),
            new LDA().setFeaturesCol("counts").setK(3).setMaxIter(2).setSeed(7).setTopicDistributionCol("topics")
        };
    }

    /** Numeric feature transformers, selectors, LSH and RFormula over imputed numbers and SQL columns. */
    @SuppressWarnings("deprecation")
    static PipelineStage[] numericFeatures() {
        return new PipelineStage[] {
            new Imputer().setInputCols(new String[] {"x1", "n"}).setOutputCols(new String[] {"x1_f", "n_f"}),
            new SQLTransformer().setStatement("SELECT *, x1_f * x2 AS x12,"
                    + " CASE WHEN b THEN 1.0 WHEN NOT b THEN 0.0 ELSE 0.5 END AS bd,"
                    + " array(coalesce(cat, 'none'), coalesce(color, 'none')) AS tags, 1.0 AS one FROM __THIS__"),
            new VectorAssembler().setInputCols(new String[] {"x1_f", "x2", "n_f", "x12", "bd"}).setOutputCol("nums"),
            new MinMaxScaler().setInputCol("nums").setOutputCol("mm"),
            new MaxAbsScaler().setInputCol("nums").setOutputCol("ma"),
            new RobustScaler().setInputCol("nums").setOutputCol("rs").setWithCentering(true),
            new Normalizer().setInputCol("nums").setOutputCol("l2").setP(2),
            new PCA().setInputCol("nums").setOutputCol("pca").setK(2),
            new DCT().setInputCol("nums").setOutputCol("dct"),
            new ElementwiseProduct().setInputCol("nums").setOutputCol("ep")
                    .setScalingVec(Vectors.dense(1, -2, 0.5, 0, 3)),
            new PolynomialExpansion().setInputCol("mm").setOutputCol("poly").setDegree(2),
            new VectorSlicer().setInputCol("nums").setOutputCol("sliced").setIndices(new int[] {0, 2, 4}),
            new Binarizer().setInputCol("nums").setOutputCol("bin").setThreshold(0.5),
            new VarianceThresholdSelector().setFeaturesCol("nums").setOutputCol("vt").setVarianceThreshold(1.0),
            new UnivariateFeatureSelector().setFeaturesCol("nums").setLabelCol("klass").setOutputCol("ufs")
                    .setFeatureType("continuous").setLabelType("categorical").setSelectionMode("numTopFeatures")
                    .setSelectionThreshold(2),
            new ChiSqSelector().setFeaturesCol("bin").setLabelCol("klass").setOutputCol("chi").setNumTopFeatures(2),
            new VectorIndexer().setInputCol("nums").setOutputCol("indexed").setMaxCategories(4)
                    .setHandleInvalid("keep"),
            new StringIndexer().setInputCol("color").setOutputCol("color_idx").setHandleInvalid("keep"),
            new OneHotEncoder().setInputCols(new String[] {"color_idx"}).setOutputCols(new String[] {"color_vec"})
                    .setHandleInvalid("keep"),
            new Interaction().setInputCols(new String[] {"color_vec", "x1_f"}).setOutputCol("inter"),
            new CountVectorizer().setInputCol("tags").setOutputCol("tag_counts"),
            new BucketedRandomProjectionLSH().setInputCol("mm").setOutputCol("brp").setBucketLength(0.5)
                    .setNumHashTables(3).setSeed(5),
            new VectorAssembler().setInputCols(new String[] {"bin", "one"}).setOutputCol("mh_in"),
            new MinHashLSH().setInputCol("mh_in").setOutputCol("mh").setNumHashTables(3).setSeed(5),
            new RFormula().setFormula("y ~ cat + color + x1_f + n_f").setFeaturesCol("rf_features")
                    .setLabelCol("rf_label").setHandleInvalid("keep")
        };
    }

    /** Classifiers without hand-written steps, binary and three-class, including one-vs-rest. */
    static PipelineStage[] classifiers() {
        return new PipelineStage[] {
            new Imputer().setInputCols(new String[] {"x1", "n"}).setOutputCols(new String[] {"x1_f", "n_f"}),
            new StringIndexer().setInputCol("cat").setOutputCol("cat_idx").setHandleInvalid("keep"),
            new OneHotEncoder().setInputCols(new String[] {"cat_idx"}).setOutputCols(new String[] {"cat_vec"})
                    .setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"cat_vec", "x1_f", "x2", "n_f"}).setOutputCol("features"),
            new VectorAssembler().setInputCols(new String[] {"x1_f", "x2", "n_f"}).setOutputCol("dense3"),
            new LinearSVC().setMaxIter(3).setPredictionCol("svc_prediction").setRawPredictionCol("svc_raw"),
            new LogisticRegression().setFamily("multinomial").setLabelCol("klass").setMaxIter(5)
                    .setPredictionCol("mlr_prediction").setRawPredictionCol("mlr_raw")
                    .setProbabilityCol("mlr_probability"),
            new MultilayerPerceptronClassifier().setFeaturesCol("dense3").setLabelCol("klass")
                    .setLayers(new int[] {3, 5, 3}).setMaxIter(5).setSeed(11).setPredictionCol("mlp_prediction")
                    .setRawPredictionCol("mlp_raw").setProbabilityCol("mlp_probability"),
            new OneVsRest().setClassifier(new LogisticRegression().setMaxIter(3)).setLabelCol("klass")
                    .setPredictionCol("ovr_prediction").setRawPredictionCol("ovr_raw"),
            new FMClassifier().setFactorSize(2).setMaxIter(3).setSeed(11).setPredictionCol("fmc_prediction")
                    .setRawPredictionCol("fmc_raw").setProbabilityCol("fmc_probability")
        };
    }

    /** Regressors without hand-written steps, and clustering. */
    static PipelineStage[] regressorsAndClustering() {
        return new PipelineStage[] {
            new Imputer().setInputCols(new String[] {"x1", "n"}).setOutputCols(new String[] {"x1_f", "n_f"}),
            new VectorAssembler().setInputCols(new String[] {"x1_f", "x2", "n_f"}).setOutputCol("features"),
            new GeneralizedLinearRegression().setFamily("poisson").setLink("log").setLabelCol("ypos").setMaxIter(3)
                    .setPredictionCol("glr_prediction").setLinkPredictionCol("glr_link"),
            new AFTSurvivalRegression().setLabelCol("ypos").setCensorCol("censor").setMaxIter(5)
                    .setQuantileProbabilities(new double[] {0.1, 0.5, 0.9}).setQuantilesCol("aft_quantiles")
                    .setPredictionCol("aft_prediction"),
            new IsotonicRegression().setLabelCol("y").setFeatureIndex(1).setPredictionCol("iso_prediction"),
            new FMRegressor().setLabelCol("y").setFactorSize(2).setMaxIter(3).setSeed(11)
                    .setPredictionCol("fmr_prediction"),
            new KMeans().setK(3).setSeed(5).setMaxIter(3).setPredictionCol("km_cluster"),
            new BisectingKMeans().setK(3).setSeed(5).setMaxIter(3).setPredictionCol("bkm_cluster"),
            new StandardScaler().setInputCol("features").setOutputCol("scaled").setWithMean(true),
            new GaussianMixture().setFeaturesCol("scaled").setK(2).setSeed(5).setMaxIter(2).setPredictionCol("gmm_cluster")
                    .setProbabilityCol("gmm_probability")
        };
    }

    // ---------------------------------------------------------------- the tests

    @Test
    void handWrittenStages_onTheHandWrittenSteps_identicalToTransform() {
        assertFastPathMatchesTransform("coverage-hand-written", false, false);
    }

    @Test
    void textStages_onSparksPlan_identicalToTransform() {
        assertFastPathMatchesTransform("coverage-text", true, false);
    }

    @Test
    void numericFeatureStages_onSparksPlan_identicalToTransform() {
        assertFastPathMatchesTransform("coverage-numeric", true, false);
    }

    @Test
    void classifiers_onSparksPlan_identicalToTransform() {
        assertFastPathMatchesTransform("coverage-classifiers", true, false);
    }

    @Test
    void regressorsAndClustering_onSparksPlan_identicalToTransform() {
        assertFastPathMatchesTransform("coverage-regressors", true, true);
    }

    @Test
    void thePipelinesCoverAtLeastFortyDistinctStageClasses() {
        TreeSet<String> classes = new TreeSet<>();
        assertThat(PIPELINES).hasSize(5);
        for (PipelineStage[] stages : PIPELINES.values().stream().map(Supplier::get).toList()) {
            Arrays.stream(stages).map(s -> s.getClass().getSimpleName()).forEach(classes::add);
        }
        System.out.printf("stage coverage: %d distinct stage classes %s%n", classes.size(), classes);
        assertThat(classes).hasSizeGreaterThanOrEqualTo(40);
    }

    // ---------------------------------------------------------------- the check

    /**
     * Fits the pipeline (and, with {@code roundTrip}, saves and loads it as a bundle), asserts the
     * fast path is on through the expected path, then compares every added column of 2,000 records with transform: the raw
     * Spark values, then the answers of {@code predict}.
     */
    private void assertFastPathMatchesTransform(String name, boolean viaPlan, boolean roundTrip) {
        long start = System.nanoTime();
        PipelineModel fitted = fitted(spark, name);
        List<Map<String, Object>> samples = records(200, 5, true);
        FastPathScorer fast;
        long fittedAt;
        if (roundTrip) {
            Bundle bundle = new BundleWriter(root).write(fitted, name, "1", INPUT, null, Map.of(), samples);
            fittedAt = System.nanoTime();
            fast = FastPathScorer.load(spark, bundle);
        } else {
            // The fitted model as it is: saving and loading take most of the time and are covered
            // by the round-trip pipeline, not by the stage classes.
            fittedAt = System.nanoTime();
            fast = FastPathScorer.create(new PipelineScorer(spark, new BundleMetadata(name, "1", "3.5.6",
                    "2026-12-03T00:00:00Z", BundleMetadata.fieldsOf(INPUT), List.of(), Map.of()), fitted), samples);
        }
        String status = fast.awaitVerification(Duration.ofMinutes(2));
        assertThat(fast.fastPathEnabled()).as(name + ": " + status).isTrue();
        assertThat(status).as(name).startsWith("on:");
        assertThat(fast.fastPipeline().compiledFromPlan()).as(name + ": answered from Spark's plan").isEqualTo(viaPlan);
        assertThat(FastPathCompiler.compile(fast.model(), INPUT).supported()).as(name + ": hand-written steps")
                .isEqualTo(!viaPlan);

        List<String> columns = fast.availableOutputs();
        List<Map<String, Object>> records = records(RECORDS, 20261203L + name.hashCode(), true);
        List<Object[]> values = FastPathScorer.validator(fast.pipelineScorer()).convertAll(records);
        List<Row> rows = values.stream().map(RowFactory::create).toList();
        Column[] selected = columns.stream().map(functions::col).toArray(Column[]::new);
        List<Row> expected = fast.model().transform(spark.createDataFrame(rows, fast.metadata().sparkSchema()))
                .select(selected).collectAsList();

        FastPipeline pipeline = fast.fastPipeline();
        int[] slots = pipeline.slots(columns);
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Object[] row = pipeline.evaluate(values.get(i));
            for (int c = 0; c < columns.size(); c++) {
                String difference = difference(expected.get(i).get(c), row[slots[c]]);
                if (difference != null && differences.size() < 10) {
                    differences.add("record " + i + " " + records.get(i) + " column '" + columns.get(c) + "': "
                            + difference);
                }
            }
        }
        assertThat(differences).as(name + ": differences from transform").isEmpty();

        List<Map<String, Object>> expectedAnswers = new ArrayList<>();
        for (Row row : expected) {
            expectedAnswers.add(OutputValues.toMap(row, columns));
        }
        long before = fast.fastRequests();
        List<Map<String, Object>> answers = fast.predict(records, columns);
        assertThat(fast.fastRequests()).as(name + ": answered by the fast path").isEqualTo(before + 1);
        assertThat(Parity.exact(answers)).as(name).isEqualTo(Parity.exact(expectedAnswers));

        System.out.printf("stage coverage %s: %s path, %d records x %d columns %s identical to transform;"
                        + " %s %d ms, %s+check+compare %d ms%n", name, viaPlan ? "plan" : "hand-written",
                records.size(), columns.size(), columns, roundTrip ? "fit+save" : "fit", (fittedAt - start) / 1_000_000,
                roundTrip ? "load" : "compile",
                (System.nanoTime() - fittedAt) / 1_000_000);
    }

    /** Null when identical: same class, doubles by {@code equals}, vectors by type and values, arrays deeply. */
    static String difference(Object expected, Object actual) {
        if (expected == null || actual == null) {
            return expected == actual ? null : "transform " + expected + ", fast path " + actual;
        }
        if (expected instanceof Vector e && actual instanceof Vector a) {
            boolean same = e.getClass() == a.getClass() && e.size() == a.size()
                    && (e instanceof DenseVector d
                        ? Arrays.equals(d.values(), ((DenseVector) a).values())
                        : Arrays.equals(((SparseVector) e).indices(), ((SparseVector) a).indices())
                            && Arrays.equals(((SparseVector) e).values(), ((SparseVector) a).values()));
            return same ? null : "transform " + e.getClass().getSimpleName() + " " + e + ", fast path "
                    + a.getClass().getSimpleName() + " " + a;
        }
        if (expected instanceof scala.collection.Seq<?> e && actual instanceof scala.collection.Seq<?> a) {
            List<?> el = JavaConverters.seqAsJavaList(e);
            List<?> al = JavaConverters.seqAsJavaList(a);
            if (el.size() != al.size()) {
                return "transform " + el + ", fast path " + al;
            }
            for (int i = 0; i < el.size(); i++) {
                String d = difference(el.get(i), al.get(i));
                if (d != null) {
                    return "element " + i + ": " + d;
                }
            }
            return null;
        }
        if (expected instanceof Row e && actual instanceof Row a) {
            if (e.size() != a.size()) {
                return "transform " + e + ", fast path " + a;
            }
            for (int i = 0; i < e.size(); i++) {
                String d = difference(e.get(i), a.get(i));
                if (d != null) {
                    return "field " + i + ": " + d;
                }
            }
            return null;
        }
        boolean same = expected.getClass() == actual.getClass() && expected.equals(actual);
        return same ? null : "transform " + expected.getClass().getSimpleName() + " " + expected + ", fast path "
                + actual.getClass().getSimpleName() + " " + actual;
    }

    /**
     * The named pipeline fitted: on the first call all five start fitting on two threads (a fit on
     * 400 rows is mostly Spark job latency, so two overlap well and with the checks of a test).
     */
    private static PipelineModel fitted(SparkSession spark, String name) {
        CompletableFuture<PipelineModel> future;
        synchronized (FITTED) {
            if (FITTED.isEmpty()) {
                Dataset<Row> data = training(spark);
                data.count();
                ExecutorService pool = Executors.newFixedThreadPool(2, task -> {
                    Thread thread = new Thread(task, "stage-coverage-fit");
                    thread.setDaemon(true);
                    return thread;
                });
                PIPELINES.forEach((pipeline, stages) -> FITTED.put(pipeline, CompletableFuture.supplyAsync(
                        () -> new Pipeline().setStages(stages.get()).fit(data), pool)));
                pool.shutdown();
            }
            future = FITTED.get(name);
        }
        return future.join();
    }

    // ---------------------------------------------------------------- data

    /** Scoring records as parsed JSON gives them: with nulls, unseen categories and edge values when asked. */
    static List<Map<String, Object>> records(int count, long seed, boolean varied) {
        Random r = new Random(seed);
        List<Map<String, Object>> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(record(r, varied));
        }
        return out;
    }

    private static Map<String, Object> record(Random r, boolean varied) {
        Map<String, Object> m = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        int words = r.nextInt(8);
        for (int i = 0; i < words; i++) {
            text.append(i == 0 ? "" : r.nextInt(4) == 0 ? "  " : " ").append(WORDS[r.nextInt(WORDS.length)]);
        }
        m.put("text", text.toString());
        m.put("cat", varied && r.nextInt(15) == 0 ? null : varied && r.nextInt(20) == 0 ? "unseen"
                : CATS[r.nextInt(CATS.length)]);
        m.put("color", varied && r.nextInt(20) == 0 ? null : COLORS[r.nextInt(COLORS.length)]);
        m.put("x1", varied && r.nextInt(10) == 0 ? null : varied && r.nextInt(20) == 0 ? EDGES[r.nextInt(EDGES.length)]
                : Math.round(r.nextGaussian() * 300) / 100.0);
        m.put("x2", r.nextInt(10) == 0 ? 0.0 : r.nextDouble() * 10);
        m.put("n", varied && r.nextInt(10) == 0 ? null : r.nextInt(26) - 5);
        m.put("f", varied && r.nextInt(10) == 0 ? null : (double) (float) (r.nextDouble() * 4));
        m.put("l", varied && r.nextInt(50) == 0 ? Long.MAX_VALUE : (long) r.nextInt(1000));
        m.put("b", varied && r.nextInt(10) == 0 ? null : r.nextBoolean());
        return m;
    }

    /** 400 seeded training rows without nulls, with a binary, a three-class and two numeric labels. */
    private static synchronized Dataset<Row> training(SparkSession spark) {
        if (training == null) {
            Random r = new Random(17);
            List<Row> rows = new ArrayList<>();
            for (Map<String, Object> m : records(400, 11, false)) {
                double x1 = (double) m.get("x1");
                double x2 = (double) m.get("x2");
                int n = (int) m.get("n");
                String cat = (String) m.get("cat");
                double noise = r.nextGaussian() * 0.5;
                double label = x1 + n / 10.0 + (cat.equals("a") ? 1 : 0) + noise > 0.5 ? 1.0 : 0.0;
                double klass = x2 + noise < 3.3 ? 0.0 : x2 + noise < 6.6 ? 1.0 : 2.0;
                double y = 2 * x1 + x2 + 0.3 * n + noise;
                double ypos = Math.exp(0.1 * x2 + 0.05 * x1) + Math.abs(noise) + 0.1;
                double censor = r.nextInt(5) == 0 ? 0.0 : 1.0;
                rows.add(RowFactory.create(m.get("text"), cat, m.get("color"), x1, x2, n,
                        (float) (double) (Double) m.get("f"), m.get("l"), m.get("b"), label, klass, y, ypos, censor));
            }
            training = spark.createDataFrame(rows, TRAINING).cache();
        }
        return training;
    }
}
