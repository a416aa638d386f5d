package dev.mlserve.functions.upload;

import dev.mlserve.scoring.bundle.BundleFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlserve.functions.jobs.Tokens;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Careless and hostile uploads, one row each, dropped into {@code incoming/<model>/} of a local
 * store and handled by one warm upload handler over the real service (inline scoring on Spark, the
 * result protocol, the refusals). Each row states its documented answer (docs/validation.md,
 * "Uploads and the CLI: bad input and its answer"): rows rejected in {@code rejected.jsonl} with
 * their reasons, or a FAILED manifest naming the problem. Never an exception out of the handler
 * (Lambda would retry a client's mistake); the input object is never changed or removed; and the
 * same handler still scores a good file at the end.
 */
class UploadBadInputTableTest {
    private static final String BUCKET = "mlserve-bucket";
    private static final String MODEL = "one-hot-logistic";
    private static final String IN = "incoming/" + MODEL + "/";
    private static final String HEADER = "plan,region,tenure,charges,calls,autopay";
    private static final String ROW = "basic,north,2.0,31.5,4,false";
    private static final String GOOD_CSV = HEADER + "\n" + ROW + "\npremium,south,40.0,90.0,0,true\n";
    private static final String GOOD_JSON = "{\"plan\":\"basic\",\"region\":\"north\",\"tenure\":2.0,\"charges\":31.5,"
            + "\"calls\":4,\"autopay\":false}";
    private static final String MISSING = "required column is missing from the file";
    private static final String RAGGED = "malformed CSV line: expected 6 columns as in the header";

    private static Path root;
    private static LocalObjectStore store;
    private static UploadHandler handler;
    private static final Jobs JOBS = mock(Jobs.class);

    /** What a row's upload must end in. */
    sealed interface Answer permits Scored, Failed, Unroutable {
    }

    /** A SUCCEEDED manifest with these counts; each reason appears in rejected.jsonl. */
    record Scored(long rowsIn, long rowsScored, long rowsRejected, List<String> reasons) implements Answer {
    }

    /** A FAILED manifest in the upload's result folder whose error (and details) name the problem. */
    record Failed(String error, String detail) implements Answer {
    }

    /** A FAILED manifest under scored/_unroutable/ (the key names no usable model or file). */
    record Unroutable(String error) implements Answer {
    }

    private static Answer scored(long in, long ok, long rejected, String... reasons) {
        return new Scored(in, ok, rejected, List.of(reasons));
    }

    private static Answer failed(String error, String detail) {
        return new Failed(error, detail);
    }

    private static Answer unroutable(String error) {
        return new Unroutable(error);
    }

    @BeforeAll
    static void warmHandler() throws IOException {
        root = Files.createTempDirectory("mlserve-upload-bad-input");
        store = new LocalObjectStore(root.resolve("bucket"));
        Bundle bundle = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
        BundleFiles.copyTree(bundle.directory(), store.root().resolve("models/" + MODEL + "/1"));
        UploadService service = new UploadService(store, new LocalBundleStore(store.root().resolve("models")),
                new SparkInlineScoring(TestSpark.session()), JOBS,
                new UploadService.Settings(BUCKET, "models/", 1 << 20, root.resolve("scratch")));
        handler = new UploadHandler(service);
    }

    @AfterAll
    static void stillScoring() throws Exception {
        String key = IN + "after-all.csv";
        store.put(key, GOOD_CSV.getBytes(StandardCharsets.UTF_8), "text/csv");

        String answer = handler.handleRequest(event(key, null), null);

        assertThat(answer).contains("SCORED_INLINE");
        JsonNode m = manifest("scored/" + MODEL + "/after-all.csv/");
        assertThat(m.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(m.path("rowsScored").asLong()).isEqualTo(2);
        verifyNoInteractions(JOBS);
        assertThat(Files.list(root.resolve("scratch"))).as("scratch folders removed").isEmpty();
    }

    static Stream<Arguments> cases() throws IOException {
        return Stream.of(
                // CSV header
                row("CSV unknown column passes through", "extra-column.csv",
                        HEADER + ",zz\n" + ROW + ",x\n", scored(1, 1, 0)),
                row("CSV misspelled required column", "misspelled.csv",
                        HEADER.replace("plan", "Plan") + "\n" + ROW + "\n", failed("lacks required columns", MISSING)),
                row("CSV missing required column", "no-plan.csv",
                        "region,tenure\nnorth,2.0\n", failed("lacks required columns", MISSING)),
                row("CSV missing nullable column", "no-autopay.csv",
                        "plan,region,tenure,charges,calls\nbasic,north,2.0,31.5,4\n", scored(1, 1, 0)),
                row("CSV duplicate column", "duplicate.csv",
                        "plan,plan," + HEADER.substring(5) + "\nbasic,pro," + ROW.substring(6) + "\n",
                        failed("names a column more than once", "plan")),
                row("CSV duplicate column in another letter case", "duplicate-case.csv",
                        HEADER + ",PLAN\n" + ROW + ",pro\n", failed("names a column more than once", "PLAN")),
                row("CSV header only", "header-only.csv", HEADER + "\n", scored(0, 0, 0)),
                row("CSV no header (data first)", "no-header.csv", ROW + "\n" + ROW + "\n",
                        failed("lacks required columns", MISSING)),
                // CSV rows
                row("CSV row with too many cells", "too-many.csv",
                        HEADER + "\n" + ROW + ",extra\n" + ROW + "\n", scored(2, 1, 1, RAGGED)),
                row("CSV row with too few cells", "too-few.csv",
                        HEADER + "\nbasic,north\n" + ROW + "\n", scored(2, 1, 1, RAGGED)),
                row("CSV semicolon-delimited", "semicolon.csv",
                        HEADER.replace(',', ';') + "\n" + ROW.replace(',', ';') + "\n",
                        failed("lacks required columns", "separated by ';'")),
                row("CSV unclosed quote", "unclosed-quote.csv",
                        HEADER + "\n\"basic,north,2.0,31.5,4,false\n" + ROW + "\n", scored(2, 1, 1, RAGGED)),
                row("CSV a bad cell", "bad-cell.csv",
                        HEADER + "\nbasic,north,two,31.5,4,false\n" + ROW + "\n",
                        scored(2, 1, 1, "cannot parse \\\"two\\\" as double")),
                row("CSV Latin-1 bytes", "latin1.csv",
                        (HEADER + "\nbasic,M\u00fcnchen,2.0,31.5,4,false\n" + ROW + "\n")
                                .getBytes(StandardCharsets.ISO_8859_1), scored(2, 1, 1, "not valid UTF-8")),
                row("CSV UTF-8 BOM", "bom.csv", "\uFEFF" + GOOD_CSV, scored(2, 2, 0)),
                row("CSV CRLF line endings", "crlf.csv", GOOD_CSV.replace("\n", "\r\n"), scored(2, 2, 0)),
                row("CSV empty file (0 bytes)", "empty.csv", "", failed("the object is empty", null)),
                row("CSV blank lines only", "blank.csv", "\n\n\n", failed("empty or has no header", null)),
                // not text, or not what the name says
                row("gzip bytes named .csv", "gzip.csv", gzip(GOOD_CSV),
                        failed("gzip", null)),
                row("PNG named .csv", "image.csv", png(), failed("not a text file", null)),
                row("random bytes named .csv", "random.csv", random(4096), failed("not a text file", null)),
                row(".csv.gz that is not gzip", "plain.csv.gz", GOOD_CSV, failed("not gzip", null)),
                row(".csv.gz truncated", "truncated.csv.gz", Arrays.copyOf(gzip(GOOD_CSV), 20),
                        failed("cannot be decompressed", null)),
                row("a good .csv.gz", "good.csv.gz", gzip(GOOD_CSV), scored(2, 2, 0)),
                // JSON Lines
                row("JSONL trailing garbage row", "trailing.jsonl",
                        "{\"a\":1}{\"a\":2}\n" + GOOD_JSON + "\n",
                        scored(2, 1, 1, "malformed JSON: unexpected content after the end of the JSON value")),
                row("JSONL row that is an array", "array.jsonl", "[1,2]\n" + GOOD_JSON + "\n",
                        scored(2, 1, 1, "record is not a JSON object (got array)")),
                row("JSONL rows that are scalars", "scalars.jsonl", "42\n\"basic\"\nnull\ntrue\n" + GOOD_JSON + "\n",
                        scored(5, 1, 4, "(got number)", "(got string)", "(got null)", "(got boolean)")),
                row("JSONL row nested 5,000 deep", "deep.jsonl",
                        "[".repeat(5000) + "]".repeat(5000) + "\n" + GOOD_JSON + "\n",
                        scored(2, 1, 1, "JSON nested deeper than 64 levels")),
                row("JSONL blank lines are skipped", "blank-lines.jsonl", "\n" + GOOD_JSON + "\n   \n\n" + GOOD_JSON
                        + "\n", scored(2, 2, 0)),
                row("JSONL malformed row", "malformed.jsonl", "{\"plan\":\n" + GOOD_JSON + "\n",
                        scored(2, 1, 1, "malformed JSON")),
                row("JSONL duplicate key", "duplicate-key.jsonl",
                        GOOD_JSON.replace("}", ",\"plan\":\"pro\"}") + "\n" + GOOD_JSON + "\n",
                        scored(2, 1, 1, "Duplicate field 'plan'")),
                row("JSONL wrong types", "wrong-types.jsonl",
                        GOOD_JSON.replace("2.0", "\"2.0\"") + "\n" + GOOD_JSON.replace("\"basic\"", "null") + "\n",
                        scored(2, 0, 2, "expected double, got string \\\"2.0\\\"",
                                "null is not allowed: the field is not nullable")),
                row("JSONL UTF-8 BOM", "bom.jsonl", "\uFEFF" + GOOD_JSON + "\n" + GOOD_JSON + "\n", scored(2, 2, 0)),
                row("JSONL CRLF line endings", "crlf.jsonl", GOOD_JSON + "\r\n" + GOOD_JSON + "\r\n", scored(2, 2, 0)),
                row("JSONL Latin-1 bytes", "latin1.jsonl",
                        (GOOD_JSON.replace("north", "M\u00fcnchen") + "\n" + GOOD_JSON + "\n")
                                .getBytes(StandardCharsets.ISO_8859_1), scored(2, 1, 1, "not valid UTF-8")),
                row("JSONL a CSV file named .jsonl", "csv.jsonl", GOOD_CSV, scored(3, 0, 3, "malformed JSON")),
                // Parquet
                row("Parquet wrong types", "wrong-types.parquet", parquet(new StructType()
                                .add("plan", DataTypes.IntegerType).add("tenure", DataTypes.StringType),
                        RowFactory.create(3, "two")),
                        scored(1, 0, 1, "expected string, got number 3", "expected double, got string \\\"two\\\"")),
                row("Parquet missing required column", "no-plan.parquet", parquet(new StructType()
                        .add("region", DataTypes.StringType), RowFactory.create("north")),
                        failed("lacks required columns", MISSING)),
                row("Parquet truncated", "truncated.parquet", truncated(goodParquet()),
                        failed("not a Parquet file", null)),
                row("Parquet footer overwritten", "corrupt-footer.parquet", corruptFooter(goodParquet()),
                        failed("Parquet", null)),
                row("CSV named .parquet", "csv.parquet", GOOD_CSV, failed("not a Parquet file", null)),
                // names
                row("unknown extension", "data.txt", GOOD_CSV, failed("unsupported file extension", null)),
                row("no extension", "data", GOOD_CSV, failed("no extension", null)),
                row("unknown model", "incoming/no-such-model/a.csv", GOOD_CSV, null,
                        failed("unknown model 'no-such-model'", null)),
                row("key with a '..' segment", null, null, "incoming/" + MODEL + "/../../models/x.csv",
                        unroutable("'..' segment")),
                row("key with URL-encoded dots", null, null, "incoming/" + MODEL + "/%2E%2E/x.csv",
                        unroutable("'..' segment")),
                row("key with a URL-encoded NUL", null, null, "incoming/" + MODEL + "/a%00.csv",
                        unroutable("control character")),
                row("key whose model is '..'", null, null, "incoming/../a.csv", unroutable("'..' segment")),
                row("model name in Cyrillic look-alikes", null, null,
                        URLEncoder.encode("incoming/\u043Ene-hot-logistic/a.csv", StandardCharsets.UTF_8)
                                .replace("%2F", "/"), unroutable("not a valid model name")),
                row("fullwidth slash instead of '/'", null, null,
                        URLEncoder.encode("incoming/" + MODEL + "\uFF0Fa.csv", StandardCharsets.UTF_8)
                                .replace("%2F", "/"), unroutable("names no model folder")),
                row("key inside a folder named like an upload", null, null, IN + "a.csv/b.csv",
                        unroutable("inside a folder named like an upload")),
                row("name that is a literal '%2E%2E'", IN + "%2E%2E.csv", GOOD_CSV,
                        URLEncoder.encode(IN + "%2E%2E.csv", StandardCharsets.UTF_8).replace("%2F", "/"),
                        scored(2, 2, 0)),
                row("name with unicode dot leaders", IN + "\u2024\u2024/x.csv", GOOD_CSV, null, scored(2, 2, 0)),
                row("name with glob characters", IN + "*.csv", GOOD_CSV, null, scored(2, 2, 0)),
                row("name with '+' (a space in the event)", IN + "my file.csv", GOOD_CSV, null, scored(2, 2, 0)));
    }

    private static Arguments row(String name, String file, Object content, Answer answer) {
        return row(name, IN + file, content, null, answer);
    }

    /**
     * @param key the object put into the store (null: none, the event names a key that cannot be stored)
     * @param eventKey the key as the S3 event spells it (URL-encoded); null: the key, encoded
     */
    private static Arguments row(String name, String key, Object content, String eventKey, Answer answer) {
        byte[] bytes = content instanceof byte[] b ? b : content == null ? null
                : ((String) content).getBytes(StandardCharsets.UTF_8);
        return Arguments.of(name, key, bytes, eventKey, answer);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void upload_endsInItsDocumentedAnswer(String name, String key, byte[] content, String eventKey, Answer answer)
            throws Exception {
        if (key != null) {
            store.put(key, content, "application/octet-stream");
        }
        Map<String, String> before = incoming();

        String outcome = handler.handleRequest(event(key, eventKey), null);

        assertThat(incoming()).as(name + ": inputs untouched").isEqualTo(before);
        String decoded = key != null ? key : java.net.URLDecoder.decode(eventKey, StandardCharsets.UTF_8);
        if (answer instanceof Scored s) {
                assertThat(outcome).as(name).contains("SCORED_INLINE");
                JsonNode m = manifest(UploadKey.parse(key).outputPrefix());
                assertThat(m.path("status").asText()).as(name + ": " + m).isEqualTo("SUCCEEDED");
                assertThat(List.of(m.path("rowsIn").asLong(), m.path("rowsScored").asLong(),
                        m.path("rowsRejected").asLong())).as(name + ": rowsIn, rowsScored, rowsRejected")
                        .containsExactly(s.rowsIn(), s.rowsScored(), s.rowsRejected());
                List<String> rejected = Files.readAllLines(local(m.path("output").path("rejected").asText()));
                assertThat(rejected).as(name + ": rejected.jsonl").hasSize((int) s.rowsRejected());
                for (String line : rejected) {
                    JsonNode r = Json.MAPPER.readTree(line);
                    assertThat(r.has("row")).as(name + ": the original row kept: " + line).isTrue();
                    assertThat(r.path("errors").isArray() && r.path("errors").size() > 0).as(name + ": " + line)
                            .isTrue();
                }
                String all = String.join("\n", rejected);
                for (String reason : s.reasons()) {
                    assertThat(all).as(name + ": a rejected row's reason").contains(reason);
                }
        } else if (answer instanceof Failed f) {
                assertThat(outcome).as(name).contains("REFUSED");
                JsonNode m = manifest(UploadKey.parse(key).outputPrefix());
                assertFailed(name, m, f.error(), f.detail());
                assertThat(m.path("input").asText()).isEqualTo(store.uri(key));
        } else {
                assertThat(outcome).as(name).contains("REFUSED");
                JsonNode m = manifest(UploadKey.UNROUTABLE + Tokens.sha256Hex(decoded).substring(0, 16) + "/");
                assertFailed(name, m, ((Unroutable) answer).error(), null);
        }
    }

    private static void assertFailed(String name, JsonNode m, String error, String detail) {
        assertThat(m.path("status").asText()).as(name + ": " + m).isEqualTo("FAILED");
        assertThat(m.path("error").asText()).as(name).contains(error);
        assertThat(m.has("output") && !m.path("output").isNull()).as(name + ": a FAILED manifest names no output")
                .isFalse();
        if (detail != null) {
            assertThat(m.path("details").toString()).as(name + ": details").contains(detail);
        }
        assertThat(m.toString().length()).as(name + ": a bounded manifest").isLessThan(64 * 1024);
    }

    /** Every object under incoming/ with its ETag. */
    private static Map<String, String> incoming() throws IOException {
        Map<String, String> objects = new LinkedHashMap<>();
        for (String k : store.list("incoming/")) {
            objects.put(k, store.head(k).orElseThrow().etag());
        }
        return objects;
    }

    private static JsonNode manifest(String prefix) throws IOException {
        Path file = store.path(prefix + "_manifest.json");
        assertThat(file).as("manifest of " + prefix).isRegularFile();
        return Json.MAPPER.readTree(Files.readAllBytes(file));
    }

    private static Path local(String uri) {
        return Path.of(uri.substring("file:".length()));
    }

    /** The sample S3 event with this store's object: bucket, key as S3 encodes it, its ETag and size. */
    private static S3Event event(String key, String eventKey) throws IOException {
        JsonNode event;
        try (InputStream in = UploadBadInputTableTest.class.getClassLoader()
                .getResourceAsStream("events/s3-put-incoming.json")) {
            event = Json.MAPPER.readTree(in);
        }
        String spelled = eventKey != null ? eventKey
                : URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
        String etag = key == null ? "d41d8cd98f00b204e9800998ecf8427e" : store.head(key).orElseThrow().etag();
        long size = key == null ? 1 : store.head(key).orElseThrow().size();
        JsonNode s3 = event.path("Records").get(0).path("s3");
        ((ObjectNode) s3.path("object")).put("key", spelled).put("eTag", etag).put("size", size);
        Path file = Files.createTempFile(root, "s3-event-", ".json");
        Json.MAPPER.writeValue(file.toFile(), event);
        return EventLoader.loadS3Event(file.toString());
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    private static byte[] png() {
        byte[] header = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1,
            0, 0, 0, 1, 0, 8, 6, 0, 0, 0};
        byte[] png = Arrays.copyOf(header, 200);
        return png;
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new Random(42).nextBytes(bytes);
        return bytes;
    }

    private static byte[] goodParquet() throws IOException {
        return parquet(new StructType().add("plan", DataTypes.StringType).add("tenure", DataTypes.DoubleType),
                RowFactory.create("basic", 2.0));
    }

    /** One Parquet file of these rows, written by Spark. */
    private static byte[] parquet(StructType schema, Row... rows) throws IOException {
        Path dir = Files.createTempDirectory("mlserve-bad-parquet");
        Dataset<Row> frame = TestSpark.session().createDataFrame(List.of(rows), schema).coalesce(1);
        frame.write().mode(SaveMode.Overwrite).parquet(dir.resolve("out").toString());
        try (Stream<Path> files = Files.list(dir.resolve("out"))) {
            Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            return Files.readAllBytes(part);
        } finally {
            deleteTree(dir);
        }
    }

    private static byte[] truncated(byte[] parquet) {
        return Arrays.copyOf(parquet, parquet.length / 2);
    }

    /** The footer's metadata (before its length and the closing magic) overwritten with junk. */
    private static byte[] corruptFooter(byte[] parquet) {
        byte[] bytes = parquet.clone();
        for (int i = bytes.length - 40; i < bytes.length - 8; i++) {
            bytes[i] = (byte) 0xEE;
        }
        return bytes;
    }


    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
