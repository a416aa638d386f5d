package dev.mlserve.local.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.local.LocalStores;
import dev.mlserve.local.RunnerJar;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file of events/ replayed as a newcomer replays them: {@code invoke --events-dir events
 * --env-vars events/env.json} from the built jar, over a store made as {@code demo} makes it (the
 * demo bundle {@code models/churn/1}) plus the objects of events/bucket/. Each event must get the
 * answer the event table of docs/local-emulation.md promises.
 */
class EventsReplayIT {
    private static final Path EVENTS = Path.of("../events");
    private static final Path EVENT_TABLE = Path.of("../docs/local-emulation.md");

    /** The promised answer per event file: an HTTP status for API events, the upload's action for S3 events. */
    private static final Map<String, Object> PROMISED = Map.ofEntries(
            Map.entry("predict-records.json", 200),
            Map.entry("predict-csv.json", 200),
            Map.entry("predict-csv-base64.json", 200),
            Map.entry("predict-dataframe-records.json", 200),
            Map.entry("predict-dataframe-split.json", 200),
            Map.entry("predict-instances.json", 200),
            Map.entry("predict-inputs-columnar.json", 200),
            Map.entry("predict-outputs.json", 200),
            Map.entry("predict-via-proxy-resource.json", 200),
            Map.entry("predict-large.json", 202),
            Map.entry("get-model.json", 200),
            Map.entry("get-job.json", 404),
            Map.entry("predict-bad-record.json", 400),
            Map.entry("predict-malformed-json.json", 400),
            Map.entry("predict-unknown-model.json", 404),
            Map.entry("predict-unknown-version.json", 404),
            Map.entry("predict-path-trick.json", 404),
            Map.entry("get-predict-wrong-method.json", 405),
            Map.entry("get-unknown-route.json", 404),
            Map.entry("s3-put-small.json", "SCORED_INLINE"),
            Map.entry("s3-put-large.json", "BATCH_SUBMITTED"),
            Map.entry("s3-put-incoming.json", "IGNORED"));

    /** The 3-record events: one body format each, the same three customers. */
    private static final List<String> SAME_THREE_CUSTOMERS = List.of("predict-csv.json", "predict-csv-base64.json",
            "predict-dataframe-records.json", "predict-dataframe-split.json", "predict-instances.json",
            "predict-inputs-columnar.json");

    @TempDir
    static Path dir;
    private static Path store;
    private static RunnerJar.Result replay;
    private static final Map<String, JsonNode> ANSWERS = new HashMap<>();

    static List<String> eventFiles() throws IOException {
        try (Stream<Path> files = Files.list(EVENTS)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json") && !n.equals("env.json")).sorted().toList();
        }
    }

    @BeforeAll
    static void replayEveryEvent() throws Exception {
        store = LocalStores.withDemoBundle(dir.resolve("store"));
        replay = RunnerJar.run(dir, 900, List.of("invoke", "--events-dir", EVENTS.toString(), "--env-vars",
                EVENTS.resolve("env.json").toString(), "--template", "../template.yaml", "--store", store.toString()));
        if (replay.code() == 0) {
            for (JsonNode answer : replay.json()) {
                ANSWERS.put(Path.of(answer.get("event").asText()).getFileName().toString(), answer);
            }
        }
    }

    @Test
    void replay_everyEventsDirFile_exits0WithAnAnswerPerFile() throws Exception {
        assertThat(replay.code()).as(replay.stderr()).isZero();
        assertThat(ANSWERS.keySet()).containsExactlyInAnyOrderElementsOf(eventFiles());
        assertThat(ANSWERS.values()).allSatisfy(a -> assertThat(a.has("error")).as(a.toString()).isFalse());
    }

    @Test
    void eventTable_hasARowForEveryEventFile_withTheAnswerThisTestChecks() throws Exception {
        List<String> rows = Files.readAllLines(EVENT_TABLE).stream().filter(l -> l.startsWith("| `")).toList();

        assertThat(PROMISED.keySet()).containsExactlyInAnyOrderElementsOf(eventFiles());
        for (String file : eventFiles()) {
            assertThat(rows).as("the event table's row for %s", file)
                    .filteredOn(row -> row.startsWith("| `" + file + "`"))
                    .singleElement().asString().contains(PROMISED.get(file).toString());
        }
    }

    @ParameterizedTest
    @MethodSource("eventFiles")
    void replay_eachEvent_answersAsTheEventTablePromises(String file) throws Exception {
        JsonNode answer = ANSWERS.get(file);
        assertThat(answer).as("an answer for %s; replay stderr:%n%s", file, replay.stderr()).isNotNull();

        if (answer.get("function").asText().equals("UploadFunction")) {
            JsonNode outcome = Json.MAPPER.readTree(answer.get("response").asText()).at("/outcomes/0");
            assertThat(outcome.get("action").asText()).as(outcome.toString()).isEqualTo(PROMISED.get(file));
        } else {
            JsonNode response = answer.get("response");
            assertThat(response.get("statusCode").asInt()).as(response.toString()).isEqualTo(PROMISED.get(file));
            assertThat(Json.MAPPER.readTree(response.get("body").asText()).isObject()).isTrue();
        }
    }

    @Test
    void replay_whenEventIsPredictRecords_answers200WithThreePredictionsInline() throws Exception {
        JsonNode body = body("predict-records.json");

        assertThat(body.get("predictions")).hasSize(3);
        assertThat(body.get("route").asText()).isEqualTo("inline");
        assertThat(body.at("/predictions/0/predictedLabel").asText()).isIn("yes", "no");
    }

    @Test
    void replay_whenEventIsAnotherBodyFormatOfTheThreeCustomers_answersTheSamePredictions() throws Exception {
        JsonNode expected = body("predict-records.json").get("predictions");

        for (String file : SAME_THREE_CUSTOMERS) {
            assertThat(body(file).get("predictions")).as(file).isEqualTo(expected);
        }
    }

    @Test
    void replay_whenEventIsPredictOutputs_answersOnlyTheAskedOutputs() throws Exception {
        JsonNode prediction = body("predict-outputs.json").at("/predictions/0");

        assertThat(prediction.fieldNames()).toIterable().containsExactly("rawPrediction", "prediction");
    }

    @Test
    void replay_whenEventIsPredictBadRecord_answers400NamingBothRecordsAndFields() throws Exception {
        JsonNode details = body("predict-bad-record.json").get("details");

        assertThat(details).hasSize(2);
        assertThat(details.findValuesAsText("field")).containsExactly("tenureMonths", "supportCalls");
    }

    @Test
    void replay_whenEventIsPredictLarge_answers202AndItsJobWritesASucceededResult() throws Exception {
        String jobId = body("predict-large.json").get("jobId").asText();

        JsonNode manifest = Json.MAPPER.readTree(store.resolve("scored/churn/" + jobId + "/_manifest.json").toFile());
        assertThat(manifest.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest.get("rowsScored").asInt()).isEqualTo(25);
    }

    @Test
    void replay_whenEventIsS3PutSmall_scoresEightRowsAndRejectsTheBadOne() throws Exception {
        JsonNode manifest = Json.MAPPER.readTree(store.resolve("scored/churn/customers-small.csv/_manifest.json")
                .toFile());

        assertThat(manifest.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest.get("rowsScored").asInt()).isEqualTo(8);
        assertThat(manifest.get("rowsRejected").asInt()).isEqualTo(1);
    }

    @Test
    void replay_whenEventIsS3PutLarge_itsBatchJobScoresEverySixtyRows() throws Exception {
        JsonNode manifest = Json.MAPPER.readTree(store.resolve("scored/churn/customers-large.jsonl/_manifest.json")
                .toFile());

        assertThat(manifest.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest.get("route").asText()).isEqualTo("batch");
        assertThat(manifest.get("rowsScored").asInt()).isEqualTo(60);
        assertThat(manifest.path("input").asText()).as("the upload, not its pinned copy")
                .endsWith("/incoming/churn/customers-large.jsonl");
        assertThat(manifest.path("output").path("scored").asText())
                .contains("/scored/churn/customers-large.jsonl/runs/" + manifest.path("jobId").asText() + "/");
        Path staging = store.resolve("staging/" + manifest.path("jobId").asText());
        if (Files.exists(staging)) {
            try (java.util.stream.Stream<Path> left = Files.walk(staging)) {
                assertThat(left.filter(Files::isRegularFile)).as("the pinned copy is removed").isEmpty();
            }
        }
    }

    private static JsonNode body(String file) throws IOException {
        JsonNode answer = ANSWERS.get(file);
        assertThat(answer).as("an answer for %s; replay stderr:%n%s", file, replay.stderr()).isNotNull();
        return Json.MAPPER.readTree(answer.at("/response/body").asText());
    }
}
