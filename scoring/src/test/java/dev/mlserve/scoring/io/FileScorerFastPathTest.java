package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * File scoring through the fast path (validation and scoring in one pass) against file scoring
 * through Spark's transform: the same bytes in every file, the same counts, on a few thousand varied
 * rows with bad ones among them.
 */
class FileScorerFastPathTest {
    private static final int ROWS = 3000;
    private final SparkSession spark = TestSpark.session();

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(FileFormat.class)
    void score_throughFastPath_writesTheSameFilesAsTransform(FileFormat format) throws IOException {
        assertSameFilesAsTransform(Kind.ONE_HOT_LOGISTIC, format);
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"IMPUTER_FOREST", "BUCKETIZER_GBT"})
    void score_csvThroughFastPath_writesTheSameFilesAsTransform(Kind kind) throws IOException {
        assertSameFilesAsTransform(kind, FileFormat.CSV);
    }

    @Test
    void score_csvThroughFastPath_equalsPlainTransformOfTheValidRows() throws IOException {
        PipelineScorer spark = PipelineScorer.load(this.spark, ParityPipelines.bundle(Kind.IMPUTER_FOREST));
        FileScorer files = new FileScorer(this.spark, fastPath(spark));
        List<Map<String, Object>> records = ParityPipelines.records(ROWS, 41);
        Path input = writeCsv(records, "plain.csv");

        Manifest manifest = files.score(input.toString(), FileFormat.CSV, dir.resolve("out").toString(),
                RunInfo.inline("test"));

        assertThat(files.usesFastPath()).isTrue();
        assertThat(manifest.rowsRejected()).isEqualTo(invalid(records));
        List<String> outputs = spark.defaultOutputs();
        List<Map<String, Object>> expected = Parity.plainTransform(spark.model(),
                ParityPipelines.frame(this.spark, records.stream().filter(FileScorerFastPathTest::valid).toList()),
                outputs);
        List<Map<String, Object>> actual = new ArrayList<>();
        for (Row r : this.spark.read().option("header", "true").csv(dir.resolve("out/scored").toString())
                .orderBy(functions.col("id").cast("int")).collectAsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prediction", Double.parseDouble(r.getAs("prediction")));
            m.put("probability", Json.MAPPER.readValue((String) r.getAs("probability"), double[].class));
            m.put("predictedLabel", r.getAs("predictedLabel"));
            actual.add(m);
        }
        assertThat(actual).hasSize(expected.size()).hasSizeGreaterThan(ROWS * 9 / 10);
        assertThat(Parity.exact(actual)).isEqualTo(Parity.exact(expected));
    }

    @Test
    void score_inputOfSeveralPartFiles_countsEveryRowOnce() throws IOException {
        FileScorer files = new FileScorer(spark,
                fastPath(PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC))));
        Path input = dir.resolve("parts");
        Files.createDirectories(input);
        for (int part = 0; part < 4; part++) {
            List<String> lines = new ArrayList<>(List.of("id,plan,region,tenure,charges,calls,autopay"));
            for (int i = 0; i < 50; i++) {
                lines.add((part * 100 + i) + ",basic,north," + i + ",50.5,1,true");
            }
            lines.add((part * 100 + 99) + ",,north,3,20,2,false");
            Files.write(input.resolve("part-" + part + ".csv"), lines);
        }

        Manifest manifest = files.score(input.toString(), FileFormat.CSV, dir.resolve("out").toString(),
                RunInfo.inline("test"));

        assertThat(manifest.rowsIn()).isEqualTo(204);
        assertThat(manifest.rowsScored()).isEqualTo(200);
        assertThat(manifest.rowsRejected()).isEqualTo(4);
        assertThat(Files.readAllLines(dir.resolve("out/rejected.jsonl"))).hasSize(4);
        assertThat(spark.read().option("header", "true").csv(dir.resolve("out/scored").toString()).count())
                .isEqualTo(200);
    }

    @Test
    void score_withStageTheFastPathRefuses_scoresThroughTransformLikePlainSpark() throws IOException {
        // rand: neither the hand-written steps nor the plan compiler take it (0 * rand: same features)
        PipelineModel model = train(new SQLTransformer().setStatement(
                "SELECT *, coalesce(tenure, 0) * 2 + 0 * rand(3) AS tenure2 FROM __THIS__"),
                new StringIndexer().setInputCol("plan").setOutputCol("plan_idx").setHandleInvalid("keep"),
                new VectorAssembler().setInputCols(new String[] {"plan_idx", "tenure2"}).setOutputCol("features"));
        FastPathScorer scorer = FastPathScorer.create(scorer("sql", model), ParityPipelines.records(50, 3));
        FileScorer files = new FileScorer(spark, scorer);
        List<Map<String, Object>> records = ParityPipelines.records(500, 43);

        Manifest manifest = files.score(writeCsv(records, "in.csv").toString(), FileFormat.CSV,
                dir.resolve("out").toString(), RunInfo.inline("test"));

        assertThat(scorer.fastPathEnabled()).isFalse();
        assertThat(files.usesFastPath()).isFalse();
        assertThat(manifest.rowsScored()).isEqualTo(500 - invalid(records));
        List<Map<String, Object>> expected = Parity.plainTransform(model,
                ParityPipelines.frame(spark, records.stream().filter(FileScorerFastPathTest::valid).toList()),
                List.of("prediction"));
        List<Double> predictions = spark.read().option("header", "true").csv(dir.resolve("out/scored").toString())
                .orderBy(functions.col("id").cast("int")).collectAsList().stream()
                .map(r -> Double.parseDouble(r.getAs("prediction"))).toList();
        assertThat(predictions).isEqualTo(expected.stream().map(m -> m.get("prediction")).toList());
    }

    @Test
    void score_rowSparkWouldFailTheFileOn_isRejectedWithTheReasonAndTheRestScored() throws IOException {
        PipelineModel model = train(new StringIndexer().setInputCol("plan").setOutputCol("plan_idx"),
                new Imputer().setInputCols(new String[] {"tenure", "charges"})
                        .setOutputCols(new String[] {"tenure_f", "charges_f"}),
                new VectorAssembler().setInputCols(new String[] {"plan_idx", "tenure_f", "charges_f"})
                        .setOutputCol("features"));
        PipelineScorer plain = scorer("strict", model);
        FastPathScorer scorer = FastPathScorer.create(plain, ParityPipelines.records(200, 5));
        List<Map<String, Object>> records = ParityPipelines.records(400, 44);
        Path input = writeCsv(records, "in.csv");
        long unseen = records.stream().filter(r -> valid(r) && "enterprise".equals(r.get("plan"))).count();

        Manifest manifest = new FileScorer(spark, scorer).score(input.toString(), FileFormat.CSV,
                dir.resolve("out").toString(), RunInfo.inline("test"));

        assertThat(scorer.fastPathEnabled()).as(scorer.fastPathStatus()).isTrue();
        assertThat(unseen).isPositive();
        assertThat(manifest.rowsRejected()).isEqualTo(invalid(records) + unseen);
        List<JsonNode> refused = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("out/rejected.jsonl"))) {
            JsonNode r = Json.MAPPER.readTree(line);
            if (r.at("/errors/0/reason").asText().startsWith("the model cannot score this row:")) {
                refused.add(r);
            }
        }
        assertThat(refused).hasSize((int) unseen).allSatisfy(r -> {
            assertThat(r.at("/row/plan").asText()).isEqualTo("enterprise");
            assertThat(r.at("/errors/0/field").isNull()).isTrue();
            assertThat(r.at("/errors/0/reason").asText()).contains("StringIndexer");
        });
        List<Map<String, Object>> known = records.stream()
                .filter(r -> valid(r) && !"enterprise".equals(r.get("plan"))).toList();
        List<Map<String, Object>> expected = Parity.plainTransform(model, ParityPipelines.frame(spark, known),
                List.of("prediction"));
        List<Double> predictions = spark.read().option("header", "true").csv(dir.resolve("out/scored").toString())
                .orderBy(functions.col("id").cast("int")).collectAsList().stream()
                .map(r -> Double.parseDouble(r.getAs("prediction"))).toList();
        assertThat(predictions).isEqualTo(expected.stream().map(m -> m.get("prediction")).toList());
        Manifest throughTransform = new FileScorer(spark, plain).score(input.toString(), FileFormat.CSV,
                dir.resolve("out-transform").toString(), RunInfo.inline("test"));
        assertThat(throughTransform.status()).as("plain Spark fails the whole file on the unseen label")
                .isEqualTo(Manifest.FAILED);
        assertThat(throughTransform.error()).contains("the model cannot score a row").contains("Unseen label");
        assertThat(dir.resolve("out-transform/scored")).doesNotExist();
        assertThat(Json.MAPPER.readTree(dir.resolve("out-transform/_manifest.json").toFile()).path("status").asText())
                .isEqualTo(Manifest.FAILED);
    }

    @Test
    void score_csvWithColumnNamedLikeAnOutput_endsFailedManifestNamingIt() throws IOException {
        FileScorer files = new FileScorer(spark,
                fastPath(PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC))));
        Path input = dir.resolve("clash.csv");
        Files.writeString(input, "plan,region,tenure,charges,calls,autopay,prediction\nbasic,north,3,20,2,false,1\n");

        Manifest manifest = files.score(input.toString(), FileFormat.CSV, dir.resolve("out").toString(),
                RunInfo.inline("test"));

        assertThat(manifest.status()).isEqualTo(Manifest.FAILED);
        assertThat(manifest.details()).extracting(v -> v.field()).containsExactly("prediction");
    }

    private void assertSameFilesAsTransform(Kind kind, FileFormat format) throws IOException {
        PipelineScorer spark = PipelineScorer.load(this.spark, ParityPipelines.bundle(kind));
        FastPathScorer scorer = fastPath(spark);
        List<Map<String, Object>> records = ParityPipelines.records(ROWS, 40 + kind.ordinal());
        Path input = write(records, format);
        FileScorer fast = new FileScorer(this.spark, scorer);

        Manifest viaFast = fast.score(input.toString(), format, dir.resolve("fast").toString(), RunInfo.inline("t"));
        Manifest viaTransform = new FileScorer(this.spark, spark).score(input.toString(), format,
                dir.resolve("transform").toString(), RunInfo.inline("t"));

        assertThat(fast.usesFastPath()).isTrue();
        int malformed = format == FileFormat.PARQUET ? 0 : 2;
        assertThat(viaFast.rowsIn()).isEqualTo(ROWS + malformed);
        assertThat(viaFast.rowsRejected()).isEqualTo(invalid(records) + malformed).isPositive();
        assertThat(List.of(viaFast.rowsIn(), viaFast.rowsScored(), viaFast.rowsRejected()))
                .isEqualTo(List.of(viaTransform.rowsIn(), viaTransform.rowsScored(), viaTransform.rowsRejected()));
        assertThat(viaFast.outputs()).isEqualTo(viaTransform.outputs());
        List<Path> fastParts = parts(dir.resolve("fast/scored"));
        List<Path> transformParts = parts(dir.resolve("transform/scored"));
        assertThat(fastParts).hasSameSizeAs(transformParts).isNotEmpty();
        for (int i = 0; i < fastParts.size(); i++) {
            assertThat(Files.readAllBytes(fastParts.get(i))).as(fastParts.get(i).toString())
                    .isEqualTo(Files.readAllBytes(transformParts.get(i)));
        }
        assertThat(Files.readAllBytes(dir.resolve("fast/rejected.jsonl")))
                .isEqualTo(Files.readAllBytes(dir.resolve("transform/rejected.jsonl")));
    }

    private static FastPathScorer fastPath(PipelineScorer spark) {
        FastPathScorer scorer = FastPathScorer.create(spark, ParityPipelines.records(200, 1));
        assertThat(scorer.fastPathEnabled()).as(scorer.fastPathStatus()).isTrue();
        return scorer;
    }

    private PipelineModel train(PipelineStage... features) {
        List<Map<String, Object>> records = ParityPipelines.records(400, 45).stream()
                .filter(r -> !"enterprise".equals(r.get("plan"))).toList();
        Dataset<Row> data = ParityPipelines.frame(spark, records).withColumn("label",
                functions.when(functions.coalesce(functions.col("tenure"), functions.lit(0.0)).gt(24), 1.0)
                        .otherwise(0.0));
        List<PipelineStage> stages = new ArrayList<>(List.of(features));
        stages.add(new LogisticRegression().setMaxIter(20));
        return new Pipeline().setStages(stages.toArray(PipelineStage[]::new)).fit(data);
    }

    private PipelineScorer scorer(String name, PipelineModel model) {
        return new PipelineScorer(spark, new BundleMetadata(name, "1", "3.5.6", "2026-11-25T00:00:00Z",
                BundleMetadata.fieldsOf(ParityPipelines.SCHEMA), List.of(), Map.of()), model);
    }

    /** Rows this test makes bad: every 97th has a non-number tenure, every 131st no plan. */
    private static boolean valid(Map<String, Object> record) {
        return !"lots".equals(record.get("tenure")) && record.get("plan") != null;
    }

    private static long invalid(List<Map<String, Object>> records) {
        return records.stream().filter(r -> !valid(r)).count();
    }

    private static List<Map<String, Object>> withIdsAndBadRows(List<Map<String, Object>> records, boolean typed) {
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", i);
            m.putAll(records.get(i));
            if (i % 131 == 5) {
                m.put("plan", null);
            } else if (i % 97 == 3 && !typed) {
                m.put("tenure", "lots");
            }
            records.set(i, m);
        }
        return records;
    }

    /** The records with ids and bad rows; CSV and JSON Lines also get two malformed lines. */
    private Path write(List<Map<String, Object>> records, FileFormat format) throws IOException {
        return switch (format) {
            case CSV -> writeCsv(records, "in.csv", true);
            case JSONL -> {
                List<String> lines = new ArrayList<>();
                for (Map<String, Object> m : withIdsAndBadRows(records, false)) {
                    lines.add(Json.MAPPER.writeValueAsString(m));
                }
                lines.add(17, "{\"id\": 99999, \"plan\":");
                lines.add(1001, "[1, 2]");
                Path input = dir.resolve("in.jsonl");
                Files.write(input, lines);
                yield input;
            }
            case PARQUET -> {
                StructType schema = new StructType().add("id", DataTypes.IntegerType, false)
                        .add("plan", DataTypes.StringType, true).add("region", DataTypes.StringType, true)
                        .add("tenure", DataTypes.DoubleType, true).add("charges", DataTypes.DoubleType, true)
                        .add("calls", DataTypes.IntegerType, true).add("autopay", DataTypes.BooleanType, true);
                List<Row> rows = new ArrayList<>();
                for (Map<String, Object> m : withIdsAndBadRows(records, true)) {
                    rows.add(RowFactory.create(m.values().toArray()));
                }
                Path input = dir.resolve("in.parquet");
                spark.createDataFrame(rows, schema).coalesce(1).write().parquet(input.toString());
                yield input;
            }
        };
    }

    private Path writeCsv(List<Map<String, Object>> records, String name) throws IOException {
        return writeCsv(records, name, false);
    }

    private Path writeCsv(List<Map<String, Object>> records, String name, boolean malformed) throws IOException {
        List<String> lines = new ArrayList<>(List.of("id,plan,region,tenure,charges,calls,autopay"));
        for (Map<String, Object> m : withIdsAndBadRows(records, false)) {
            lines.add(String.join(",", m.values().stream().map(v -> v == null ? "" : v.toString()).toList()));
        }
        if (malformed) {
            lines.add(17, "99999,basic,north");
            lines.add(1001, "99998,premium");
        }
        Path input = dir.resolve(name);
        Files.write(input, lines);
        return input;
    }

    private static List<Path> parts(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
        }
    }
}
