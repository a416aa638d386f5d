package dev.mlserve.functions.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.emr.LocalBatchLauncher;
import dev.mlserve.functions.jobs.JobEventsHandler;
import dev.mlserve.functions.upload.UploadHandler;
import dev.mlserve.functions.upload.UploadService;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file of this module's test events (src/test/resources/events/, written for the parity
 * suite's one-hot + logistic regression pipeline; the top-level events/ folder is written for the
 * demo bundle and replayed by local's EventsReplayIT) through its handler, loaded by
 * aws-lambda-java-tests the way the Lambda Java runtime deserializes it, over the embedded default
 * (a local store with the events' model and the objects of events/bucket, the in-process batch
 * launcher) with events/env.json's limits. No event may make a handler fail; none answers a 500.
 * The EMR Serverless state-change events go to the job events handler over the same adapters: the
 * local launcher has no EMR runs, so each is answered as not one of ours.
 */
class EventFilesReplayIT {
    private static final Path EVENTS = Path.of("src/test/resources/events");

    @TempDir
    static Path store;
    private static Adapters adapters;
    private static PredictHandler predict;
    private static UploadHandler upload;
    private static JobEventsHandler jobEvents;

    static List<String> eventFiles() throws IOException {
        try (Stream<Path> files = Files.list(EVENTS)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json") && !n.equals("env.json")).sorted().toList();
        }
    }

    @BeforeAll
    static void embeddedDefault() throws IOException {
        ApiFixtures.copy(ApiFixtures.bundleRoot(), store.resolve("models"));
        ApiFixtures.copy(EVENTS.resolve("bucket"), store);
        JsonNode env = Json.MAPPER.readTree(EVENTS.resolve("env.json").toFile());
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(
                FunctionConfig.BACKEND, "local",
                FunctionConfig.LOCAL_STORE, store.toString(),
                FunctionConfig.INLINE_MAX_RECORDS, env.at("/PredictFunction/MLSERVE_INLINE_MAX_RECORDS").asText(),
                FunctionConfig.UPLOAD_INLINE_MAX_BYTES, env.at("/UploadFunction/MLSERVE_UPLOAD_INLINE_MAX_BYTES").asText()));
        adapters = Adapters.local(config, TestSpark.session());
        predict = PredictHandler.withAdapters(config, adapters);
        upload = UploadHandler.withService(UploadService.create(config, adapters, TestSpark.session(),
                store.resolve(".scratch")));
        jobEvents = JobEventsHandler.withAdapters(adapters, "00fkq8cbd3rs9n0l");
    }

    @ParameterizedTest
    @MethodSource("eventFiles")
    void event_replayedThroughItsHandler_isAnsweredWithoutAFault(String file) throws Exception {
        String resource = "events/" + file;
        JsonNode json = Json.MAPPER.readTree(EVENTS.resolve(file).toFile());
        if (json.has("detail-type")) {
            String answer = jobEvents.handleRequest(EventLoader.loadScheduledEvent(resource), ApiFixtures.context());
            assertThat(Json.MAPPER.readTree(answer).has("ignored")).as(answer).isTrue();
        } else if (json.has("Records")) {
            String answer = upload.handleRequest(EventLoader.loadS3Event(resource), ApiFixtures.context());
            assertThat(Json.MAPPER.readTree(answer).get("outcomes")).isNotEmpty();
            if (file.equals("s3-put-large.json")) {
                assertThat(answer).contains("BATCH_SUBMITTED");
            } else if (file.equals("s3-put-small.json")) {
                assertThat(answer).contains("SCORED_INLINE");
            }
        } else {
            APIGatewayProxyResponseEvent response = predict.handleRequest(
                    EventLoader.loadApiGatewayRestEvent(resource), ApiFixtures.context());
            assertThat(response.getStatusCode()).as(response.getBody()).isBetween(200, 499);
            assertThat(Json.MAPPER.readTree(response.getBody()).isObject()).isTrue();
            if (file.equals("predict-large.json")) {
                assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(202);
            }
        }
        assertThat(((LocalBatchLauncher) adapters.launcher()).awaitIdle(Duration.ofMinutes(2))).isTrue();
    }
}
