package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LinearSVC;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.CountVectorizer;
import org.apache.spark.ml.feature.MinMaxScaler;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
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
 * Pipelines whose inputs are a vector, an array of strings, an array of doubles, a date and a
 * timestamp: bundled, answered by {@code predict} on the fast path and scored from CSV (JSON
 * cells), JSON Lines and Parquet (native types), every answer identical to plain Spark's
 * {@code transform} on rows typed by the test itself.
 */
class TypedInputsParityTest {
    private static final StructType INPUT = new StructType()
            .add("features", SQLDataTypes.VectorType(), true)
            .add("words", DataTypes.createArrayType(DataTypes.StringType, true), true)
            .add("xs", DataTypes.createArrayType(DataTypes.DoubleType, true), true)
            .add("day", DataTypes.DateType, true)
            .add("ts", DataTypes.TimestampType, true)
            .add("a", DataTypes.DoubleType, true);
    private static final String[] WORDS = {"red", "green", "blue", "cyan", "black", "white", "grey"};
    private static final int SIZE = 4;

    @TempDir
    Path root;

    private final SparkSession spark = TestSpark.session();

    /** One input as the test types it for Spark, and the same input as a client sends it. */
    private record Example(Row row, Map<String, Object> json) {
    }

    private static Example example(Random r, int i) {
        double[] dense = new double[SIZE];
        for (int k = 0; k < SIZE; k++) {
            dense[k] = r.nextInt(3) == 0 ? 0.0 : Math.round(r.nextGaussian() * 1000) / 100.0;
        }
        Vector vector = i % 2 == 0 ? Vectors.dense(dense) : Vectors.dense(dense).toSparse();
        Object vectorJson = switch (i % 4) {
            case 0 -> toList(dense);
            case 2 -> Map.of("type", 1, "values", toList(dense));
            default -> sparseJson(vector, i % 4 == 3);
        };
        List<String> words = new ArrayList<>();
        for (int k = r.nextInt(6); k > 0; k--) {
            words.add(WORDS[r.nextInt(WORDS.length)]);
        }
        List<Double> xs = new ArrayList<>();
        for (int k = r.nextInt(5); k > 0; k--) {
            xs.add(Math.round(r.nextGaussian() * 10_000) / 1000.0);
        }
        LocalDate day = LocalDate.ofEpochDay(r.nextInt(36_500) - 7_300);
        Instant ts = Instant.ofEpochSecond(r.nextInt(1_800_000_000), r.nextInt(1000) * 1_000_000L);
        String tsJson = switch (i % 3) {
            case 0 -> ts.toString();
            case 1 -> ts.atOffset(ZoneOffset.ofHours(2)).toString();
            default -> ts.atOffset(ZoneOffset.UTC).toLocalDateTime().toString(); // no offset: UTC
        };
        double a = Math.round(r.nextGaussian() * 100) / 10.0;
        Row row = RowFactory.create(vector, seq(words), seq(xs), Date.valueOf(day), Timestamp.from(ts), a);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("features", vectorJson);
        json.put("words", words);
        json.put("xs", xs);
        json.put("day", day.toString());
        json.put("ts", tsJson);
        json.put("a", a);
        return new Example(row, json);
    }

    private static Map<String, Object> sparseJson(Vector v, boolean withType) {
        org.apache.spark.ml.linalg.SparseVector s = v.toSparse();
        Map<String, Object> m = new LinkedHashMap<>();
        if (withType) {
            m.put("type", 0);
        }
        m.put("size", s.size());
        m.put("indices", s.indices());
        m.put("values", s.values());
        return m;
    }

    private static List<Double> toList(double[] values) {
        List<Double> out = new ArrayList<>();
        for (double v : values) {
            out.add(v);
        }
        return out;
    }

    private static <T> scala.collection.Seq<T> seq(List<T> values) {
        return JavaConverters.asScalaBuffer(values).toList();
    }

    private static List<Example> examples(int count, long seed) {
        Random r = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(example(r, i));
        }
        return out;
    }

    private Dataset<Row> frame(List<Example> examples) {
        return spark.createDataFrame(examples.stream().map(Example::row).toList(), INPUT);
    }

    private Bundle bundle(String name, PipelineStage... stages) {
        List<Example> train = examples(300, 5);
        Dataset<Row> training = frame(train)
                .withColumn("f0", org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float64")
                        .getItem(0))
                .withColumn("label", functions.expr("CASE WHEN f0 + size(words) * 0.3 + a * 0.1 > 0.5"
                        + " THEN 1.0 ELSE 0.0 END"));
        PipelineModel model = new Pipeline().setStages(stages).fit(training);
        return new BundleWriter(root).write(model, name, "1", INPUT, null, Map.of(),
                examples(40, 9).stream().map(Example::json).toList());
    }

    private static final String TIME_SQL = "SELECT *, cast(datediff(day, DATE'2000-01-01') AS DOUBLE) AS days,"
            + " cast(hour(ts) AS DOUBLE) AS hr, cast(unix_timestamp(ts) AS DOUBLE) / 1e9 AS epoch,"
            + " cast(size(words) AS DOUBLE) AS nwords, aggregate(xs, 0D, (acc, x) -> acc + x) AS xsum FROM __THIS__";

    private Bundle mixed(String name) {
        return bundle(name,
                new SQLTransformer().setStatement(TIME_SQL),
                new CountVectorizer().setInputCol("words").setOutputCol("tf").setVocabSize(5),
                new VectorAssembler().setInputCols(new String[] {"tf", "features", "days", "hr", "epoch", "nwords",
                    "xsum", "a"}).setOutputCol("all"),
                new LogisticRegression().setFeaturesCol("all").setMaxIter(10));
    }

    private void assertPredictMatchesPlainTransform(Bundle bundle) {
        assertThat(BundleMetadata.fieldsOf(INPUT)).extracting(f -> f.type()).containsExactly(FieldType.VECTOR,
                FieldType.ARRAY_STRING, FieldType.ARRAY_DOUBLE, FieldType.DATE, FieldType.TIMESTAMP, FieldType.DOUBLE);
        FastPathScorer fast = FastPathScorer.load(spark, bundle);
        assertThat(fast.fastPathStatus()).as(bundle.metadata().name()).startsWith("on:");
        List<String> columns = fast.availableOutputs();
        List<Example> examples = examples(2000, 20261203L);

        String expected = Parity.exact(Parity.plainTransform(fast.model(), frame(examples), columns));
        long before = fast.fastRequests();
        String actual = Parity.exact(fast.predict(examples.stream().map(Example::json).toList(), columns));

        assertThat(fast.fastRequests()).as("answered by the fast path").isEqualTo(before + 1);
        assertThat(actual).as(bundle.metadata().name()).isEqualTo(expected);
    }

    @Test
    void vectorInput_scaledForASupportVectorMachine_isOnTheFastPath_identicalToTransform() {
        assertPredictMatchesPlainTransform(bundle("vector-svc",
                new MinMaxScaler().setInputCol("features").setOutputCol("scaled"),
                new LinearSVC().setFeaturesCol("scaled").setMaxIter(10)));
    }

    @Test
    void vectorInput_standardizedForLogisticRegression_isOnTheFastPath_identicalToTransform() {
        assertPredictMatchesPlainTransform(bundle("vector-lr",
                new StandardScaler().setInputCol("features").setOutputCol("scaled").setWithMean(true),
                new LogisticRegression().setFeaturesCol("scaled").setMaxIter(10)));
    }

    @Test
    void arrayDateAndTimestampInputs_throughSqlAndCountVectorizer_areOnTheFastPath_identicalToTransform() {
        assertPredictMatchesPlainTransform(mixed("mixed"));
    }

    @Test
    void aPlanWithLambdaFunctions_answersConcurrentRequestsExactlyAsOneThreadDoes() throws Exception {
        // aggregate(xs, ...) keeps its lambda variable's value inside the expression: threads must not share it
        assertConcurrentAnswersMatchOneThread(mixed("mixed-threads"), List.of("xsum", "probability"));
    }

    @Test
    void aPlanWithVectorUdfs_answersConcurrentRequestsExactlyAsOneThreadDoes() throws Exception {
        // a UDF returning a vector converts it with a serializer that reuses its row: threads must not share it
        assertConcurrentAnswersMatchOneThread(bundle("vector-svc-threads",
                new MinMaxScaler().setInputCol("features").setOutputCol("scaled"),
                new LinearSVC().setFeaturesCol("scaled").setMaxIter(10)), List.of("scaled", "rawPrediction"));
    }

    private void assertConcurrentAnswersMatchOneThread(Bundle bundle, List<String> columns) throws Exception {
        FastPathScorer fast = FastPathScorer.load(spark, bundle);
        List<List<Map<String, Object>>> requests = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            List<Map<String, Object>> request = examples(500, 100 + t).stream().map(Example::json).toList();
            requests.add(request);
            expected.add(Parity.exact(fast.predict(request, columns)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 5; round++) {
                List<Future<String>> answers = new ArrayList<>();
                for (List<Map<String, Object>> request : requests) {
                    answers.add(pool.submit((Callable<String>) () -> Parity.exact(fast.predict(request, columns))));
                }
                for (int t = 0; t < answers.size(); t++) {
                    assertThat(answers.get(t).get()).as("thread %d, round %d", t, round).isEqualTo(expected.get(t));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(fast.sparkRequests()).as("every request on the fast path").isZero();
    }

    @Test
    void fileScoring_ofEveryFormat_withNestedAndTimeInputs_writesWhatTransformWrites() throws Exception {
        Bundle bundle = mixed("mixed-files");
        List<Example> examples = examples(300, 77);
        Path csv = root.resolve("in.csv");
        // CSV holds a nested value as its JSON text in one cell
        List<String> lines = new ArrayList<>(List.of("features,words,xs,day,ts,a"));
        for (Example e : examples) {
            lines.add(String.join(",", csvCell(e.json().get("features")), csvCell(e.json().get("words")),
                    csvCell(e.json().get("xs")), (String) e.json().get("day"), (String) e.json().get("ts"),
                    String.valueOf(e.json().get("a"))));
        }
        Files.write(csv, lines);
        Path jsonl = root.resolve("in.jsonl");
        List<String> jsonLines = new ArrayList<>();
        for (Example e : examples) {
            jsonLines.add(Json.MAPPER.writeValueAsString(e.json()));
        }
        Files.write(jsonl, jsonLines);
        Path parquet = root.resolve("in.parquet");
        frame(examples).coalesce(1).write().parquet(parquet.toString());

        FastPathScorer fastScorer = FastPathScorer.load(spark, bundle);
        FileScorer fast = new FileScorer(spark, fastScorer);
        FileScorer plain = new FileScorer(spark, PipelineScorer.load(spark, bundle));
        assertThat(fast.usesFastPath()).isTrue();
        for (Map.Entry<FileFormat, Path> input : Map.of(FileFormat.CSV, csv, FileFormat.JSONL, jsonl,
                FileFormat.PARQUET, parquet).entrySet()) {
            String name = input.getKey().name().toLowerCase();
            Manifest viaFast = fast.score(input.getValue().toString(), input.getKey(),
                    root.resolve("fast-" + name).toString(), RunInfo.inline("test"));
            Manifest viaTransform = plain.score(input.getValue().toString(), input.getKey(),
                    root.resolve("transform-" + name).toString(), RunInfo.inline("test"));

            assertThat(viaFast.rowsRejected()).as(name + " rejected").isZero();
            assertThat(viaFast.rowsScored()).as(name).isEqualTo(viaTransform.rowsScored()).isEqualTo(300);
            List<Row> fastRows = scored(root.resolve("fast-" + name + "/scored"), input.getKey());
            List<Row> transformRows = scored(root.resolve("transform-" + name + "/scored"), input.getKey());
            assertThat(fastRows).as(name).isEqualTo(transformRows);
            // and the probabilities are plain transform's on the test's own typed rows
            List<Map<String, Object>> expected = Parity.plainTransform(fastScorer.model(), frame(examples),
                    List.of("probability"));
            List<Object> fromFile = new ArrayList<>();
            for (Row r : fastRows) {
                Object p = r.getAs("probability");
                fromFile.add(p instanceof String text ? Json.MAPPER.readValue(text, List.class)
                        : dev.mlserve.scoring.score.OutputValues.toJsonReady(p));
            }
            assertThat(Parity.exact(fromFile)).as(name + " against transform")
                    .isEqualTo(Parity.exact(expected.stream().map(m -> m.get("probability")).toList()));
        }
    }

    /** A CSV cell holding the value's JSON text, quoted the way Spark's CSV reader expects (backslash escapes). */
    private static String csvCell(Object value) throws Exception {
        String text = Json.MAPPER.writeValueAsString(value);
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private List<Row> scored(Path folder, FileFormat format) {
        Dataset<Row> rows = switch (format) {
            case CSV -> spark.read().option("header", "true").csv(folder.toString());
            case JSONL -> spark.read().json(folder.toString());
            case PARQUET -> spark.read().parquet(folder.toString());
        };
        return rows.collectAsList();
    }
}
