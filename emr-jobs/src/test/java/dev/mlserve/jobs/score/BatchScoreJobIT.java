package dev.mlserve.jobs.score;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.jobs.score.SparkSubmitRunner.Result;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.OutputValues;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built emr-jobs.jar under Spark's own launcher, with only Spark's jars beside it, on CSV,
 * JSON Lines and Parquet: outputs, rejected rows and manifest, and parity with inline scoring.
 */
class BatchScoreJobIT {
    private static final int GOOD = 150;
    private static final String HEADER = "id,plan,region,tenure,charges,calls,autopay";

    private final SparkSession spark = TestSpark.session();

    @TempDir
    Path work;

    @Test
    void jar_holdsOurClassesAndNothingEmrProvides() throws IOException {
        List<String> entries;
        try (JarFile jar = new JarFile(SparkSubmitRunner.jobJar().toFile())) {
            entries = Collections.list(jar.entries()).stream().map(e -> e.getName()).toList();
        }

        assertThat(entries).contains("dev/mlserve/jobs/score/BatchScoreJob.class",
                "dev/mlserve/scoring/io/FileScorer.class", "mlserve/add-opens.txt");
        assertThat(entries).noneMatch(e -> e.startsWith("org/apache/spark/") || e.startsWith("org/apache/hadoop/")
                || e.startsWith("com/fasterxml/") || e.startsWith("software/amazon/") || e.startsWith("scala/")
                || e.startsWith("org/slf4j/") || e.startsWith("org/apache/logging/"));
    }

    @Test
    void submit_jsonLinesAsTheLauncherSendsThem_scoresLikeInlineAndRejectsBadLines() throws Exception {
        Bundle bundle = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
        List<Map<String, Object>> records = ParityPipelines.records(GOOD, 31);
        Path input = work.resolve("staging/job-7/records.jsonl");
        Files.createDirectories(input.getParent());
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            lines.add(Json.MAPPER.writeValueAsString(withId(i, records.get(i))));
        }
        lines.addAll(List.of("{\"id\":1000,\"plan\":\"basic\",\"tenure\":\"lots\"}", "{\"id\":1001,\"region\":\"north\"}",
                "{\"id\":1002,\"plan\":"));
        Files.write(input, lines);
        Path output = work.resolve("scored/churn/job-7");

        Result result = SparkSubmitRunner.submit(work, List.of("--bundle", bundle.directory().toString(),
                "--input", input.toString(), "--format", "jsonl", "--output", output + "/", "--job-id", "job-7",
                "--input-etag", "\"e-1\"", "--input-version-id", "v-7", "--source", "s3://b/incoming/churn/r.jsonl",
                "--route-reason", "153 records > inline limit 100"));

        assertThat(result.exitCode()).as(result.log()).isZero();
        JsonNode manifest = manifest(output);
        assertCounts(manifest, GOOD, 3);
        assertThat(manifest.get("jobId").asText()).isEqualTo("job-7");
        assertThat(manifest.get("inputEtag").asText()).isEqualTo("\"e-1\"");
        assertThat(manifest.get("inputVersionId").asText()).isEqualTo("v-7");
        assertThat(manifest.get("input").asText()).as("the upload the staged copy pins")
                .isEqualTo("s3://b/incoming/churn/r.jsonl");
        assertThat(manifest.get("routeReason").asText()).isEqualTo("153 records > inline limit 100");
        assertThat(manifest.get("format").asText()).isEqualTo("jsonl");
        assertRejected(output, 3, 1000, 1001);
        assertMatchesInline(bundle, records, readJsonLines(output.resolve("scored")));
        if (manifest.get("durationMs").asLong() >= 1500) {
            assertThat(result.log()).contains("scoring progress: input=" + input).contains("rowsWritten=");
        }
    }

    @Test
    void submit_csvByModelAndRoot_resolvesHighestVersionInfersFormatAndScoresLikeInline() throws Exception {
        Path root = work.resolve("models");
        copyBundle(ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC), root, "1");
        copyBundle(ParityPipelines.bundle(Kind.BUCKETIZER_GBT), root, "9");
        copyBundle(ParityPipelines.bundle(Kind.IMPUTER_FOREST), root, "10");
        List<Map<String, Object>> records = ParityPipelines.records(GOOD, 32);
        List<String> lines = new ArrayList<>(List.of(HEADER));
        for (int i = 0; i < records.size(); i++) {
            lines.add(csvLine(withId(i, records.get(i))));
        }
        lines.addAll(List.of("1000,,north,3,20,2,false", "1001,basic,north,lots,20,2,true", "1002,basic,north"));
        Path input = work.resolve("incoming/customers.csv");
        Files.createDirectories(input.getParent());
        Files.write(input, lines);
        Path output = work.resolve("scored/customers.csv");

        Result result = SparkSubmitRunner.submit(work, List.of("--model", "m", "--model-root", root.toUri().toString(),
                "--input", input.toUri().toString(), "--output", output.toUri().toString()));

        assertThat(result.exitCode()).as(result.log()).isZero();
        JsonNode manifest = manifest(output);
        assertCounts(manifest, GOOD, 3);
        assertThat(manifest.get("model").asText()).isEqualTo("m");
        assertThat(manifest.get("version").asText()).isEqualTo("10");
        assertThat(manifest.get("format").asText()).isEqualTo("csv");
        assertThat(manifest.get("jobId").asText()).as("Spark's application id").startsWith("local-");
        assertThat(manifest.get("routeReason").asText()).isEqualTo(BatchScoreArgs.DEFAULT_ROUTE_REASON);
        assertRejected(output, 3, 1000, 1001);
        assertMatchesInline(ParityPipelines.bundle(Kind.IMPUTER_FOREST), records, readCsv(output.resolve("scored")));
    }

    @Test
    void submit_parquetFolderOfParts_scoresLikeInlineIntoOneFile() throws Exception {
        Bundle bundle = ParityPipelines.bundle(Kind.BUCKETIZER_GBT);
        List<Map<String, Object>> records = ParityPipelines.records(GOOD, 33);
        StructType schema = new StructType().add("id", DataTypes.IntegerType, false)
                .add("plan", DataTypes.StringType, true).add("region", DataTypes.StringType, true)
                .add("tenure", DataTypes.DoubleType, true).add("charges", DataTypes.DoubleType, true)
                .add("calls", DataTypes.IntegerType, true).add("autopay", DataTypes.BooleanType, true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            rows.add(RowFactory.create(withId(i, records.get(i)).values().toArray()));
        }
        rows.add(RowFactory.create(1000, null, "north", 3.0, 20.0, 2, false));
        rows.add(RowFactory.create(1001, null, null, null, null, null, null));
        Path input = work.resolve("exports/2026-11-25");
        spark.createDataFrame(rows, schema).repartition(2).write().parquet(input.toString());
        Path output = work.resolve("scored/exports");

        Result result = SparkSubmitRunner.submit(work, List.of("--bundle", bundle.directory().toUri().toString(),
                "--input", input.toString(), "--format", "parquet", "--output", output.toString(), "--job-id", "p-1"));

        assertThat(result.exitCode()).as(result.log()).isZero();
        JsonNode manifest = manifest(output);
        assertCounts(manifest, GOOD, 2);
        assertThat(manifest.get("format").asText()).isEqualTo("parquet");
        assertThat(parts(output.resolve("scored"), ".parquet")).as("small input, one output file").hasSize(1);
        assertRejected(output, 2, 1000, 1001);
        assertMatchesInline(bundle, records, readParquet(output.resolve("scored")));
    }

    @Test
    void submit_csvWithoutRequiredColumn_exitsTwoWithFailedManifest() throws Exception {
        Path input = work.resolve("incoming/no-plan.csv");
        Files.createDirectories(input.getParent());
        Files.writeString(input, "id,region,tenure\n1,north,3\n");
        Path output = work.resolve("scored/no-plan.csv");

        Result result = SparkSubmitRunner.submit(work, List.of("--bundle",
                ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC).directory().toString(), "--input", input.toString(),
                "--output", output.toString(), "--job-id", "f-1"));

        assertThat(result.exitCode()).as(result.log()).isEqualTo(BatchScoreJob.EXIT_BAD_INPUT);
        JsonNode manifest = manifest(output);
        assertThat(manifest.get("status").asText()).isEqualTo("FAILED");
        assertThat(manifest.get("route").asText()).isEqualTo("batch");
        assertThat(manifest.at("/details/0/field").asText()).isEqualTo("plan");
    }

    @Test
    void submit_badArguments_exitsTwoNamingEveryProblem() throws Exception {
        Result result = SparkSubmitRunner.submit(work, List.of("--model", "churn", "--input", "/x/data"));

        assertThat(result.exitCode()).isEqualTo(BatchScoreJob.EXIT_BAD_INPUT);
        assertThat(result.log()).contains("--model-root is required with --model", "--output is required",
                "--format is required");
    }

    private static void assertCounts(JsonNode manifest, int scored, int rejected) {
        assertThat(manifest.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest.get("route").asText()).isEqualTo("batch");
        assertThat(manifest.get("rowsIn").asLong()).isEqualTo(scored + rejected);
        assertThat(manifest.get("rowsScored").asLong()).isEqualTo(scored);
        assertThat(manifest.get("rowsRejected").asLong()).isEqualTo(rejected);
    }

    /** One line per rejected row, each naming its errors; the rows that parsed into records carry their id. */
    private static void assertRejected(Path output, int count, Integer... ids) throws IOException {
        List<JsonNode> rejected = new ArrayList<>();
        for (String line : Files.readAllLines(output.resolve("rejected.jsonl"))) {
            rejected.add(Json.MAPPER.readTree(line));
        }
        assertThat(rejected).hasSize(count);
        assertThat(rejected).allSatisfy(r -> assertThat(r.get("errors")).isNotEmpty());
        assertThat(rejected.stream().filter(r -> r.at("/row/id").isValueNode())
                .map(r -> Integer.parseInt(r.at("/row/id").asText())))
                .containsExactlyInAnyOrder(ids);
    }

    /** Batch output, keyed by id, equals the inline scorer's answers for the same records, bit for bit. */
    private void assertMatchesInline(Bundle bundle, List<Map<String, Object>> records,
                                     Map<Integer, Map<String, Object>> batch) {
        PipelineScorer scorer = PipelineScorer.load(spark, bundle);
        List<Map<String, Object>> inline = scorer.predict(records, null);
        assertThat(batch.keySet()).hasSize(records.size());
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> row = batch.get(i);
            assertThat(row).as("row %d", i).isNotNull();
            for (String column : scorer.defaultOutputs()) {
                Object expected = inline.get(i).get(column);
                Object actual = expected instanceof String ? row.get(column) : parseIfText(row.get(column));
                assertThat(Parity.exact(actual)).as("row %d %s", i, column).isEqualTo(Parity.exact(expected));
            }
        }
    }

    /** CSV cells are text: numbers and JSON arrays are parsed back (Jackson reads doubles exactly). */
    private static Object parseIfText(Object value) {
        if (!(value instanceof String text)) {
            return value;
        }
        try {
            return Json.MAPPER.readValue(text, Object.class);
        } catch (IOException e) {
            throw new IllegalStateException("not a JSON value: " + text, e);
        }
    }

    private Map<Integer, Map<String, Object>> readJsonLines(Path scored) throws IOException {
        Map<Integer, Map<String, Object>> byId = new LinkedHashMap<>();
        for (Path part : parts(scored, ".jsonl")) {
            for (String line : Files.readAllLines(part)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = Json.MAPPER.readValue(line, LinkedHashMap.class);
                byId.put(((Number) m.get("id")).intValue(), m);
            }
        }
        return byId;
    }

    private Map<Integer, Map<String, Object>> readCsv(Path scored) {
        Map<Integer, Map<String, Object>> byId = new LinkedHashMap<>();
        for (Row r : spark.read().option("header", "true").csv(scored.toString()).collectAsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String c : r.schema().fieldNames()) {
                m.put(c, r.getAs(c));
            }
            byId.put(Integer.parseInt(r.getAs("id")), m);
        }
        return byId;
    }

    private Map<Integer, Map<String, Object>> readParquet(Path scored) {
        Map<Integer, Map<String, Object>> byId = new LinkedHashMap<>();
        for (Row r : spark.read().parquet(scored.toString()).collectAsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String c : r.schema().fieldNames()) {
                m.put(c, OutputValues.toJsonReady(r.getAs(c)));
            }
            byId.put(r.<Integer>getAs("id"), m);
        }
        return byId;
    }

    private static JsonNode manifest(Path output) throws IOException {
        return Json.MAPPER.readTree(output.resolve("_manifest.json").toFile());
    }

    private static Map<String, Object> withId(int id, Map<String, Object> record) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.putAll(record);
        return m;
    }

    private static String csvLine(Map<String, Object> record) {
        return String.join(",", record.values().stream().map(v -> v == null ? "" : v.toString()).toList());
    }

    /** A copy of a trained bundle as {@code root/m/<version>}, its bundle.json saying so. */
    private static void copyBundle(Bundle bundle, Path root, String version) throws IOException {
        Path target = root.resolve("m").resolve(version);
        BundleFiles.copyTree(bundle.directory(), target);
        BundleMetadata m = bundle.metadata();
        BundleFiles.writeMetadata(target, new BundleMetadata("m", version, m.sparkVersion(), m.createdAt(),
                m.inputSchema(), m.outputs(), m.metrics()));
    }

    private static List<Path> parts(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-") && p.toString().endsWith(suffix))
                    .sorted().toList();
        }
    }
}
