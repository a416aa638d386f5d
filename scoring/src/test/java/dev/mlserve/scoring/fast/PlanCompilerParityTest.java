package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.TestSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.DecisionTreeClassifier;
import org.apache.spark.ml.classification.LinearSVC;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.NaiveBayes;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.feature.CountVectorizer;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.feature.IDF;
import org.apache.spark.ml.feature.MinMaxScaler;
import org.apache.spark.ml.feature.PolynomialExpansion;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.Tokenizer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelines whose stages have no hand-written steps, from Spark's own examples, on the fast path
 * through their compiled plan: every output column identical to {@code transform} on 2,000 varied
 * records, and plans that are not row-wise refused with the reason.
 */
class PlanCompilerParityTest {
    private static final String[] WORDS = {"cheap", "offer", "meeting", "report", "win", "agenda", "prize", "notes",
        "urgent", "lunch", "free", "budget"};
    private static final StructType INPUT = new StructType()
            .add("text", DataTypes.StringType)
            .add("a", DataTypes.DoubleType)
            .add("b", DataTypes.DoubleType)
            .add("n", DataTypes.IntegerType);

    @TempDir
    Path root;

    private final SparkSession spark = TestSpark.session();

    private static Map<String, Object> record(Random random, boolean withNulls) {
        Map<String, Object> r = new HashMap<>();
        StringBuilder text = new StringBuilder();
        int words = random.nextInt(6);
        for (int i = 0; i < words; i++) {
            text.append(i == 0 ? "" : random.nextBoolean() ? " " : "  ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        r.put("text", text.toString());
        r.put("a", withNulls && random.nextInt(5) == 0 ? null : Math.round(random.nextGaussian() * 1000) / 100.0);
        r.put("b", withNulls && random.nextInt(5) == 0 ? null : random.nextDouble() * 50);
        r.put("n", withNulls && random.nextInt(5) == 0 ? null : random.nextInt(20) - 5);
        return r;
    }

    private static List<Map<String, Object>> records(int count, long seed, boolean withNulls) {
        Random random = new Random(seed);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(record(random, withNulls));
        }
        return out;
    }

    private Dataset<Row> training(long seed) {
        List<Row> rows = new ArrayList<>();
        Random random = new Random(seed);
        for (Map<String, Object> r : records(300, seed, false)) {
            double label = ((String) r.get("text")).contains("cheap") || (double) r.get("a") > 0 ? 1.0 : 0.0;
            if (random.nextInt(10) == 0) {
                label = 1 - label;
            }
            rows.add(RowFactory.create(r.get("text"), r.get("a"), r.get("b"), r.get("n"), label));
        }
        return spark.createDataFrame(rows, INPUT.add("label", DataTypes.DoubleType));
    }

    private Bundle bundle(String name, PipelineStage... stages) {
        PipelineModel model = new Pipeline().setStages(stages).fit(training(11));
        return new BundleWriter(root).write(model, name, "1", INPUT, null, Map.of(), records(50, 3, false));
    }

    /** The fast path on, through the plan, and identical to transform on every column. */
    private void assertPlanPathMatchesTransform(Bundle bundle) {
        PipelineScorer plain = PipelineScorer.load(spark, bundle);
        FastPathScorer fast = FastPathScorer.load(spark, bundle);
        assertThat(FastPathCompiler.compile(plain.model(), INPUT).supported()).as("no hand-written steps").isFalse();
        assertThat(fast.fastPathStatus()).as(bundle.metadata().name()).startsWith("on:");
        List<String> columns = plain.availableOutputs();
        List<Map<String, Object>> records = records(2000, 20261202L, false);

        String expected = Parity.exact(plain.predict(records, columns));
        long before = fast.fastRequests();
        String actual = Parity.exact(fast.predict(records, columns));

        assertThat(fast.fastRequests()).as("answered by the fast path").isEqualTo(before + 1);
        assertThat(actual).as(bundle.metadata().name()).isEqualTo(expected);
    }

    @Test
    void tokenizerHashingTfLogisticRegression_isOnTheFastPath_identicalToTransform() {
        assertPlanPathMatchesTransform(bundle("text-lr",
                new Tokenizer().setInputCol("text").setOutputCol("words"),
                new HashingTF().setInputCol("words").setOutputCol("tf").setNumFeatures(64),
                new LogisticRegression().setFeaturesCol("tf").setMaxIter(10)));
    }

    @Test
    void sqlTransformerMinMaxScalerLinearSvc_isOnTheFastPath_identicalToTransform() {
        assertPlanPathMatchesTransform(bundle("sql-svc",
                new SQLTransformer().setStatement("SELECT *, a * 2 + b AS ab, CASE WHEN n > 3 THEN 1.0 ELSE 0.0 END AS"
                        + " big, coalesce(cast(n AS DOUBLE), -1.0) AS nd, length(text) AS len FROM __THIS__"),
                new VectorAssembler().setInputCols(new String[] {"ab", "big", "nd", "len"}).setOutputCol("raw"),
                new MinMaxScaler().setInputCol("raw").setOutputCol("features"),
                new LinearSVC().setMaxIter(10)));
    }

    @Test
    void countVectorizerIdfNaiveBayes_isOnTheFastPath_identicalToTransform() {
        assertPlanPathMatchesTransform(bundle("tfidf-nb",
                new Tokenizer().setInputCol("text").setOutputCol("words"),
                new CountVectorizer().setInputCol("words").setOutputCol("counts").setVocabSize(20),
                new IDF().setInputCol("counts").setOutputCol("features"),
                new NaiveBayes()));
    }

    @Test
    void polynomialExpansionKMeans_isOnTheFastPath_identicalToTransform() {
        assertPlanPathMatchesTransform(bundle("poly-kmeans",
                new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("ab"),
                new PolynomialExpansion().setInputCol("ab").setOutputCol("features").setDegree(2),
                new KMeans().setK(3).setSeed(5)));
    }

    @Test
    void assemblerSkippingInvalidRows_isAFilter_andARowItDropsIsAnsweredByTransform() {
        Bundle bundle = bundle("skip-tree",
                new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("features")
                        .setHandleInvalid("skip"),
                new DecisionTreeClassifier().setMaxDepth(3));
        assertPlanPathMatchesTransform(bundle);
        FastPathScorer fast = FastPathScorer.load(spark, bundle);
        PipelineScorer plain = PipelineScorer.load(spark, bundle);
        Map<String, Object> dropped = new LinkedHashMap<>(Map.of("text", "x", "b", 1.0, "n", 1));
        dropped.put("a", null);
        List<Map<String, Object>> request = List.of(dropped);

        String expected = answerOrError(plain, request);
        long before = fast.fastRequests();
        String actual = answerOrError(fast, request);

        assertThat(fast.fastRequests()).as("the dropped row went through transform").isEqualTo(before);
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void fileScoring_ofAPlanCompiledPipeline_runsThePlanInsideSparkTasks_andWritesWhatTransformWrites()
            throws Exception {
        Bundle bundle = bundle("text-files",
                new Tokenizer().setInputCol("text").setOutputCol("words"),
                new HashingTF().setInputCol("words").setOutputCol("tf").setNumFeatures(32),
                new LogisticRegression().setFeaturesCol("tf").setMaxIter(5));
        List<String> lines = new ArrayList<>(List.of("text,a,b,n"));
        for (Map<String, Object> r : records(500, 8, false)) {
            // never empty: Spark's CSV reader reads "" as null, on which Tokenizer (and so transform) fails the file
            lines.add("\"hello " + r.get("text") + "\"," + r.get("a") + "," + r.get("b") + "," + r.get("n"));
        }
        Path input = root.resolve("in.csv");
        java.nio.file.Files.write(input, lines);
        FileScorer fast = new FileScorer(spark, FastPathScorer.load(spark, bundle));

        Manifest viaPlan = fast.score(input.toString(), FileFormat.CSV, root.resolve("fast").toString(),
                RunInfo.inline("test"));
        Manifest viaTransform = new FileScorer(spark, PipelineScorer.load(spark, bundle)).score(input.toString(),
                FileFormat.CSV, root.resolve("transform").toString(), RunInfo.inline("test"));

        assertThat(fast.usesFastPath()).isTrue();
        assertThat(viaPlan.rowsScored()).isEqualTo(viaTransform.rowsScored()).isEqualTo(500);
        assertThat(parts(root.resolve("fast/scored"))).isEqualTo(parts(root.resolve("transform/scored")));
    }

    private static List<String> parts(Path scored) throws java.io.IOException {
        List<String> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(scored)) {
            for (Path part : files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                out.addAll(java.nio.file.Files.readAllLines(part));
            }
        }
        return out;
    }

    @Test
    void rowOnWhichAStagesUdfFails_isAnsweredByTransform_likeTransformAnswersIt() {
        Bundle bundle = bundle("text-null",
                new Tokenizer().setInputCol("text").setOutputCol("words"),
                new HashingTF().setInputCol("words").setOutputCol("tf").setNumFeatures(16),
                new LogisticRegression().setFeaturesCol("tf").setMaxIter(5));
        FastPathScorer fast = FastPathScorer.load(spark, bundle);
        Map<String, Object> noText = new LinkedHashMap<>(Map.of("a", 1.0, "b", 2.0, "n", 3));
        noText.put("text", null);
        List<Map<String, Object>> request = List.of(noText);
        long before = fast.fastRequests();

        String actual = answerOrError(fast, request);

        assertThat(fast.fastRequests()).isEqualTo(before);
        assertThat(actual).isEqualTo(answerOrError(PipelineScorer.load(spark, bundle), request));
    }

    @Test
    void nondeterministicSqlTransformer_isRefusedNamingTheExpression() {
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
            new SQLTransformer().setStatement("SELECT *, rand(7) AS noise FROM __THIS__")}).fit(training(3));

        FastPathCompiler.Compilation compiled = PlanCompiler.compile(spark, model, INPUT);

        assertThat(compiled.supported()).isFalse();
        assertThat(compiled.refusal()).contains("nondeterministic").contains("rand(7)");
    }

    @Test
    void sqlTransformerWithAnAggregate_isRefusedNamingThePlanNode() {
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
            new SQLTransformer().setStatement("SELECT n, count(*) AS c FROM __THIS__ GROUP BY n")}).fit(training(3));

        FastPathCompiler.Compilation compiled = PlanCompiler.compile(spark, model, INPUT);

        assertThat(compiled.supported()).isFalse();
        assertThat(compiled.refusal()).contains("Aggregate");
    }

    private static String answerOrError(dev.mlserve.scoring.score.Scorer scorer, List<Map<String, Object>> records) {
        try {
            return Parity.exact(scorer.predict(records, null));
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
