package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class FileScorerTest {
    private final SparkSession spark = TestSpark.session();

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(FileFormat.class)
    void score_validFile_writesInputColumnsPlusOutputsEqualToPlainTransform(FileFormat format) throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.IMPUTER_FOREST));
        List<Map<String, Object>> records = ParityPipelines.records(120, 21);
        Path input = writeInput(records, format);

        Manifest manifest = new FileScorer(spark, scorer).score(input.toString(), format, dir.resolve("out").toString(),
                RunInfo.inline("test"));

        assertThat(manifest.status()).isEqualTo(Manifest.SUCCEEDED);
        assertThat(manifest.rowsIn()).isEqualTo(120);
        assertThat(manifest.rowsScored()).isEqualTo(120);
        assertThat(manifest.rowsRejected()).isZero();
        assertThat(Files.size(dir.resolve("out/rejected.jsonl"))).isZero();
        Map<Object, Map<String, Object>> byId = readScored(dir.resolve("out/scored"), format);
        List<Map<String, Object>> expected = Parity.plainTransform(scorer.model(),
                ParityPipelines.frame(spark, records), scorer.defaultOutputs());
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> actual = byId.get(i);
            assertThat(actual).as("row %d", i).isNotNull();
            assertThat(actual.get("plan")).isEqualTo(records.get(i).get("plan"));
            assertThat(Parity.exact(actual.get("prediction"))).isEqualTo(Parity.exact(expected.get(i).get("prediction")));
            assertThat(Parity.exact(actual.get("probability"))).isEqualTo(Parity.exact(expected.get(i).get("probability")));
            assertThat(actual.get("predictedLabel")).isEqualTo(expected.get(i).get("predictedLabel"));
        }
    }

    @ParameterizedTest
    @EnumSource(value = FileFormat.class, names = {"CSV", "JSONL"})
    void score_fileWithBadRows_rejectsThemWithReasonsAndScoresTheRest(FileFormat format) throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        Path input = dir.resolve("in." + format.extension());
        if (format == FileFormat.CSV) {
            Files.writeString(input, """
                    id,plan,region,tenure,charges,calls,autopay
                    0,basic,north,12,50.5,1,true
                    1,,north,12,50.5,1,true
                    2,premium,south,lots,50.5,1,true
                    3,standard,east,3,20,2,false
                    4,standard,east,3,20
                    """);
        } else {
            Files.writeString(input, """
                    {"id":0,"plan":"basic","region":"north","tenure":12,"charges":50.5,"calls":1,"autopay":true}
                    {"id":1,"region":"north","tenure":12}
                    {"id":2,"plan":"premium","tenure":"lots"}
                    {"id":3,"plan":"standard","region":"east","tenure":3,"charges":20,"calls":2,"autopay":false}
                    {"id":4,"plan":
                    """);
        }

        Manifest manifest = new FileScorer(spark, scorer).score(input.toString(), format,
                dir.resolve("out").toString(), RunInfo.inline("test"));

        assertThat(manifest.rowsIn()).isEqualTo(5);
        assertThat(manifest.rowsScored()).isEqualTo(2);
        assertThat(manifest.rowsRejected()).isEqualTo(3);
        List<JsonNode> rejected = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("out/rejected.jsonl"))) {
            rejected.add(Json.MAPPER.readTree(line));
        }
        assertThat(rejected).hasSize(3);
        assertThat(rejected).anySatisfy(r -> {
            assertThat(r.at("/errors/0/field").asText()).isEqualTo("plan");
            assertThat(r.at("/row/id").asText()).isEqualTo("1");
        });
        assertThat(rejected).anySatisfy(r -> {
            assertThat(r.at("/errors/0/field").asText()).isEqualTo("tenure");
            assertThat(r.at("/row/id").asText()).isEqualTo("2");
        });
        assertThat(rejected).anySatisfy(r -> assertThat(r.at("/errors/0/reason").asText()).startsWith("malformed"));
        assertThat(readScored(dir.resolve("out/scored"), format).keySet()).containsExactlyInAnyOrder(0, 3);
    }

    @Test
    void score_jsonLinesRowHoldingTwoObjects_rejectsTheRowInsteadOfScoringTheFirst() throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        String row = "{\"id\":%d,\"plan\":\"basic\",\"region\":\"north\",\"tenure\":12,\"charges\":50.5,"
                + "\"calls\":1,\"autopay\":true}";
        Path input = dir.resolve("in.jsonl");
        Files.writeString(input, row.formatted(0) + "\n" + row.formatted(1) + row.formatted(2) + "\n"
                + row.formatted(3) + " trailing\n");

        Manifest manifest = new FileScorer(spark, scorer).score(input.toString(), FileFormat.JSONL,
                dir.resolve("out").toString(), RunInfo.inline("test"));

        assertThat(manifest.rowsIn()).isEqualTo(3);
        assertThat(manifest.rowsScored()).isEqualTo(1);
        assertThat(manifest.rowsRejected()).isEqualTo(2);
        List<JsonNode> rejected = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("out/rejected.jsonl"))) {
            rejected.add(Json.MAPPER.readTree(line));
        }
        assertThat(rejected).extracting(r -> r.at("/errors/0/reason").asText())
                .anySatisfy(reason -> assertThat(reason)
                        .isEqualTo("malformed JSON: unexpected content after the end of the JSON value"))
                .anySatisfy(reason -> assertThat(reason).startsWith("malformed JSON: Unrecognized token 'trailing'"));
        assertThat(readScored(dir.resolve("out/scored"), FileFormat.JSONL).keySet()).containsExactly(0);
    }

    @Test
    void score_jsonLinesRowGivingAKeyTwice_rejectsTheRowNamingTheKey() throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        String row = "{\"id\":%d,\"plan\":\"basic\",\"region\":\"north\",\"tenure\":12,\"charges\":50.5,"
                + "\"calls\":1,\"autopay\":true%s}";
        Path input = dir.resolve("dup.jsonl");
        Files.writeString(input, row.formatted(0, "") + "\n" + row.formatted(1, ",\"plan\":\"pro\"") + "\n");

        Manifest manifest = new FileScorer(spark, scorer).score(input.toString(), FileFormat.JSONL,
                dir.resolve("dup-out").toString(), RunInfo.inline("test"));

        assertThat(manifest.rowsScored()).isEqualTo(1);
        assertThat(manifest.rowsRejected()).isEqualTo(1);
        String rejected = Files.readString(dir.resolve("dup-out/rejected.jsonl"));
        assertThat(rejected).contains("Duplicate field 'plan'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.csv", "a[1].csv", "{a,b}.csv", "?.csv"})
    void score_fileNamedLikeAGlobBesideOthers_readsOnlyThatFileIntoAFolderNamedLikeIt(String name)
            throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        Path folder = Files.createDirectories(dir.resolve("incoming"));
        String header = "id,plan,region,tenure,charges,calls,autopay\n";
        String row = "0,basic,north,12,50.5,1,true\n";
        Files.writeString(folder.resolve("a.csv"), header + row.repeat(5));
        Files.writeString(folder.resolve("b.csv"), header + row.repeat(7));
        Files.writeString(folder.resolve("a1.csv"), header + row.repeat(11));
        Files.writeString(folder.resolve(name), header + row.repeat(3));

        Path out = dir.resolve("scored").resolve(name);
        Manifest manifest = new FileScorer(spark, scorer).score(folder.resolve(name).toString(), FileFormat.CSV,
                out.toString(), RunInfo.inline("test"));

        assertThat(manifest.status()).isEqualTo(Manifest.SUCCEEDED);
        assertThat(manifest.rowsIn()).isEqualTo(3);
        assertThat(Files.readString(out.resolve("_manifest.json"))).contains("\"rowsIn\" : 3");
        assertThat(parts(out.resolve("scored"), ".csv")).isNotEmpty();
    }

    @Test
    void score_csvWithoutRequiredColumn_endsFailedManifestNamingTheColumn() throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        Path input = dir.resolve("in.csv");
        Files.writeString(input, "id,region,tenure\n1,north,3\n");

        Manifest manifest = new FileScorer(spark, scorer).score(input.toString(), FileFormat.CSV,
                dir.resolve("out").toString(), RunInfo.inline("test"));

        assertThat(manifest.status()).isEqualTo(Manifest.FAILED);
        assertThat(manifest.details()).extracting(v -> v.field()).containsExactly("plan");
        assertThat(Json.MAPPER.readTree(dir.resolve("out/_manifest.json").toFile()).get("status").asText())
                .isEqualTo("FAILED");
        assertThat(dir.resolve("out/scored")).doesNotExist();
    }

    @Test
    void score_rerunIntoSameOutput_replacesPreviousResultCleanly() throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        FileScorer files = new FileScorer(spark, scorer);
        Path out = dir.resolve("out");
        files.score(writeInput(ParityPipelines.records(30, 1), FileFormat.CSV).toString(), FileFormat.CSV,
                out.toString(), RunInfo.inline("first"));
        Path second = dir.resolve("second.csv");
        Files.move(dir.resolve("input.csv"), second);
        writeInput(ParityPipelines.records(7, 2), FileFormat.CSV);

        Manifest manifest = files.score(dir.resolve("input.csv").toString(), FileFormat.CSV, out.toString(),
                RunInfo.inline("second"));

        assertThat(manifest.rowsIn()).isEqualTo(7);
        assertThat(readScored(out.resolve("scored"), FileFormat.CSV)).hasSize(7);
    }

    @Test
    void score_smallInputOfSeveralPartFiles_writesOneScoredFileAndOneRejectedFile() throws IOException {
        PipelineScorer scorer = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        Path input = dir.resolve("parts");
        Files.createDirectories(input);
        for (int part = 0; part < 3; part++) {
            List<String> lines = new ArrayList<>(List.of("id,plan,region,tenure,charges,calls,autopay"));
            for (int i = 0; i < 10; i++) {
                lines.add((part * 100 + i) + ",basic,north," + i + ",50.5,1,true");
            }
            lines.add((part * 100 + 99) + ",,north,3,20,2,false");
            Files.write(input.resolve("part-" + part + ".csv"), lines);
        }
        assertThat(spark.read().option("header", "true").csv(input.toString()).rdd().getNumPartitions())
                .as("the input must span several partitions for this test to mean anything").isGreaterThan(1);

        Manifest manifest = new FileScorer(spark, scorer).score(input.toString(), FileFormat.CSV,
                dir.resolve("out").toString(), RunInfo.inline("test"));

        assertThat(manifest.rowsScored()).isEqualTo(30);
        assertThat(manifest.rowsRejected()).isEqualTo(3);
        assertThat(parts(dir.resolve("out/scored"), ".csv")).hasSize(1);
        assertThat(Files.readAllLines(dir.resolve("out/rejected.jsonl"))).hasSize(3);
    }

    @ParameterizedTest(name = "fast path: {0}")
    @ValueSource(booleans = {true, false})
    void score_fileCutIntoSeveralSplits_writesOneScoredFilePerSplitInParallelAndOneRejectedFile(boolean fastPath)
            throws IOException {
        FastPathScorer scorer = FastPathScorer.loadPipeline(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        FileScorer files = fastPath ? new FileScorer(spark, scorer) : new FileScorer(spark, scorer.pipelineScorer());
        List<Map<String, Object>> records = ParityPipelines.records(6000, 5);
        Path input = writeInput(records, FileFormat.CSV);
        // a wide pass-through column makes the file big enough (3 MB) for a split per core
        String note = "n".repeat(500);
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(input)) {
            lines.add(line + "," + (lines.isEmpty() ? "note" : note));
        }
        lines.add("9001,,north,3,20,2,false," + note);
        lines.add("9002,basic,north,lots,20,2,false," + note);
        Files.write(input, lines);
        int cores = spark.sparkContext().defaultParallelism();

        Manifest manifest = files.score(input.toString(), FileFormat.CSV, dir.resolve("out").toString(),
                RunInfo.inline("test"));

        assertThat(files.usesFastPath()).isEqualTo(fastPath);
        assertThat(manifest.rowsScored()).isEqualTo(6000);
        assertThat(manifest.rowsRejected()).isEqualTo(2);
        List<Path> parts = parts(dir.resolve("out/scored"), ".csv");
        assertThat(parts).as("one file per core's even share of the input").hasSize(cores);
        for (Path part : parts) {
            assertThat(Files.size(part)).as(part.toString()).isBetween(Files.size(input) / cores * 8 / 10,
                    Files.size(input) / cores * 12 / 10);
        }
        Map<Object, Map<String, Object>> byId = readScored(dir.resolve("out/scored"), FileFormat.CSV);
        List<Map<String, Object>> expected = Parity.plainTransform(scorer.pipelineScorer().model(),
                ParityPipelines.frame(spark, records), scorer.defaultOutputs());
        assertThat(byId).hasSize(6000);
        for (int i = 0; i < records.size(); i++) {
            assertThat(Parity.exact(byId.get(i).get("probability"))).as("row %d", i)
                    .isEqualTo(Parity.exact(expected.get(i).get("probability")));
        }
        assertThat(Files.readAllLines(dir.resolve("out/rejected.jsonl"))).hasSize(2);
    }

    private Path writeInput(List<Map<String, Object>> records, FileFormat format) throws IOException {
        List<Map<String, Object>> withIds = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", i);
            m.putAll(records.get(i));
            withIds.add(m);
        }
        Path input = dir.resolve("input." + format.extension());
        switch (format) {
            case JSONL -> {
                List<String> lines = new ArrayList<>();
                for (Map<String, Object> m : withIds) {
                    lines.add(Json.MAPPER.writeValueAsString(m));
                }
                Files.write(input, lines);
            }
            case CSV -> {
                List<String> lines = new ArrayList<>();
                lines.add(String.join(",", withIds.get(0).keySet()));
                for (Map<String, Object> m : withIds) {
                    lines.add(String.join(",", m.values().stream().map(v -> v == null ? "" : v.toString()).toList()));
                }
                Files.write(input, lines);
            }
            case PARQUET -> ParityPipelines.frame(spark, records)
                    .withColumn("id", functions.monotonically_increasing_id().cast("int"))
                    .coalesce(1).write().parquet(input.toString());
            default -> throw new IllegalArgumentException();
        }
        return input;
    }

    /** Reads scored output back with plain Java and Jackson where possible, keyed by the id column. */
    private Map<Object, Map<String, Object>> readScored(Path scoredDir, FileFormat format) throws IOException {
        Map<Object, Map<String, Object>> byId = new LinkedHashMap<>();
        switch (format) {
            case JSONL -> {
                for (Path part : parts(scoredDir, ".jsonl")) {
                    for (String line : Files.readAllLines(part)) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> m = Json.MAPPER.readValue(line, LinkedHashMap.class);
                        byId.put(((Number) m.get("id")).intValue(), m);
                    }
                }
            }
            case CSV -> {
                Dataset<Row> df = spark.read().option("header", "true").csv(scoredDir.toString());
                for (Row r : df.collectAsList()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("plan", r.getAs("plan"));
                    m.put("prediction", Double.parseDouble(r.getAs("prediction")));
                    m.put("probability", Json.MAPPER.readValue((String) r.getAs("probability"), double[].class));
                    m.put("predictedLabel", optional(r, "predictedLabel"));
                    byId.put(Integer.parseInt(r.getAs("id")), m);
                }
            }
            case PARQUET -> {
                Dataset<Row> df = spark.read().parquet(scoredDir.toString());
                for (Row r : df.collectAsList()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("plan", r.getAs("plan"));
                    m.put("prediction", r.getAs("prediction"));
                    List<Double> p = r.getList(r.fieldIndex("probability"));
                    m.put("probability", p.stream().mapToDouble(Double::doubleValue).toArray());
                    m.put("predictedLabel", optional(r, "predictedLabel"));
                    byId.put(r.<Integer>getAs("id"), m);
                }
            }
            default -> throw new IllegalArgumentException();
        }
        return byId;
    }

    private static Object optional(Row r, String column) {
        return r.schema().getFieldIndex(column).isDefined() ? r.getAs(column) : null;
    }

    private static List<Path> parts(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-") && p.toString().endsWith(suffix))
                    .sorted(Comparator.naturalOrder()).toList();
        }
    }
}
