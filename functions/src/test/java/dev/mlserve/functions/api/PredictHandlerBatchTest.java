package dev.mlserve.functions.api;

import static dev.mlserve.functions.api.ApiFixtures.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.ports.ThrottledException;
import dev.mlserve.functions.routing.RoutingPolicy;
import dev.mlserve.functions.telemetry.EmfMetrics;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.functions.testing.InMemoryObjectStore;
import dev.mlserve.functions.testing.MutableClock;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.slf4j.Logger;

/** The batch route: records over the inline limits are validated, staged and submitted; never loaded inline. */
class PredictHandlerBatchTest {
    private static final long MIB = 1024 * 1024;
    private static final String OUTPUT = "s3://bucket/scored/churn/job-1/";

    private final InMemoryObjectStore store = new InMemoryObjectStore("bucket");
    private final Jobs jobs = mock(Jobs.class);

    private PredictHandler handler(RoutingPolicy routing, String publicBaseUrl) {
        ScorerCache models = new ScorerCache(new LocalBundleStore(ApiFixtures.bundleRoot()), bundle -> {
            throw new AssertionError("the batch route must not load a pipeline");
        }, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")), Duration.ofSeconds(60), 4);
        PredictionService service = new PredictionService(models, routing,
                new BatchSubmitter(store, jobs, "models/", () -> "job-1"), jobs, publicBaseUrl);
        return new PredictHandler(service, new RequestTelemetry(mock(Logger.class),
                new EmfMetrics(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        java.time.Clock.systemUTC(), "mlserve")));
    }

    /** Inline up to 2 records: the 3-record events go to the batch route. */
    private PredictHandler handler() {
        return handler(new RoutingPolicy(2, MIB, 1000, 6 * MIB), null);
    }

    private APIGatewayProxyResponseEvent call(PredictHandler handler, String event) {
        return handler.handleRequest(EventLoader.loadApiGatewayRestEvent("events/" + event), ApiFixtures.context());
    }

    private void submitAnswers(String state) {
        when(jobs.submit(any(), anyString(), anyString(), anyString())).thenAnswer(call -> {
            BatchJob job = call.getArgument(0);
            return new JobStatus(job.jobId(), state, call.getArgument(1), call.getArgument(2), job.outputUri(),
                    call.getArgument(3), null, null, null, null);
        });
    }

    @Test
    void predict_overInlineLimit_stagesValidatedRecordsSubmitsJobAndAnswers202() throws Exception {
        submitAnswers("SUBMITTED");

        APIGatewayProxyResponseEvent response = call(handler(), "predict-records.json");

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(202);
        String[] staged = new String(store.objects().get("staging/job-1/records.jsonl"), StandardCharsets.UTF_8).split("\n");
        assertThat(Arrays.stream(staged).map(StagedJson::tree).toList()).containsExactly(
                StagedJson.tree("{\"plan\":\"basic\",\"region\":\"north\",\"tenure\":2.0,\"charges\":31.5,\"calls\":4,\"autopay\":false}"),
                StagedJson.tree("{\"plan\":\"premium\",\"region\":\"west\",\"tenure\":58.5,\"charges\":104.9,\"calls\":0,\"autopay\":true}"),
                StagedJson.tree("{\"plan\":\"standard\",\"region\":null,\"tenure\":null,\"charges\":61.0,\"calls\":null,\"autopay\":true}"));
        ArgumentCaptor<BatchJob> job = ArgumentCaptor.forClass(BatchJob.class);
        ArgumentCaptor<String> reason = ArgumentCaptor.forClass(String.class);
        verify(jobs).submit(job.capture(), eq("churn"), eq("1"), reason.capture());
        assertThat(job.getValue()).isEqualTo(new BatchJob("job-1", "s3://bucket/models/churn/1",
                "s3://bucket/staging/job-1/records.jsonl", "jsonl", OUTPUT, null, "job-1",
                Map.of("model", "churn", "version", "1", "route", "batch", "source", "api")));
        assertThat(reason.getValue()).startsWith("3 records, ").endsWith("over the inline limit of 2 records: scored by a batch job");
        JsonNode body = body(response);
        assertThat(body.get("jobId").asText()).isEqualTo("job-1");
        assertThat(body.get("state").asText()).isEqualTo("SUBMITTED");
        assertThat(body.get("statusUrl").asText()).isEqualTo("https://abc123.execute-api.us-east-1.amazonaws.com/Prod/jobs/job-1");
        assertThat(body.get("output").asText()).isEqualTo(OUTPUT);
        assertThat(body.get("route").asText()).isEqualTo("batch");
        assertThat(body.get("routeReason").asText()).isEqualTo(reason.getValue());
        assertThat(response.getHeaders())
                .containsEntry("Location", body.get("statusUrl").asText())
                .containsEntry("X-Mlserve-Route", "batch")
                .containsEntry("X-Mlserve-Route-Reason", reason.getValue());
    }

    @Test
    void predict_csvOverInlineLimit_stagesTypedValuesNotText() {
        submitAnswers("SUBMITTED");

        APIGatewayProxyResponseEvent response = call(handler(), "predict-csv.json");

        assertThat(response.getStatusCode()).isEqualTo(202);
        String first = new String(store.objects().get("staging/job-1/records.jsonl"), StandardCharsets.UTF_8).lines()
                .findFirst().orElseThrow();
        assertThat(StagedJson.tree(first)).isEqualTo(StagedJson.tree(
                "{\"plan\":\"basic\",\"region\":\"north\",\"tenure\":2.0,\"charges\":31.5,\"calls\":4,\"autopay\":false}"));
    }

    @Test
    void predict_batchWithPublicBaseUrl_usesItForTheStatusUrl() {
        submitAnswers("PENDING");

        APIGatewayProxyResponseEvent response = call(handler(new RoutingPolicy(2, MIB, 1000, 6 * MIB),
                "https://api.example.com/v1/"), "predict-records.json");

        assertThat(body(response).get("statusUrl").asText()).isEqualTo("https://api.example.com/v1/jobs/job-1");
        assertThat(body(response).get("state").asText()).isEqualTo("PENDING");
    }

    @Test
    void predict_overInlineBytes_goesToBatchSayingSo() {
        submitAnswers("SUBMITTED");

        APIGatewayProxyResponseEvent response = call(handler(new RoutingPolicy(1000, 100, 1000, 6 * MIB), null),
                "predict-records.json");

        assertThat(response.getStatusCode()).isEqualTo(202);
        assertThat(body(response).get("routeReason").asText()).endsWith("over the inline limit of 100 bytes: scored by a batch job");
    }

    @Test
    void predict_batchWithInvalidRecord_answers400AndStagesAndSubmitsNothing() {
        APIGatewayProxyResponseEvent response = call(handler(new RoutingPolicy(1, MIB, 1000, 6 * MIB), null),
                "predict-bad-record.json");

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("details")).hasSize(2);
        assertThat(store.objects()).isEmpty();
        verifyNoInteractions(jobs);
    }

    @Test
    void predict_batchWithOutputBeyondBundleOutputs_answers400NamingIt() {
        APIGatewayProxyResponseEvent response = call(handler(new RoutingPolicy(1000, 10, 1000, 6 * MIB), null),
                "predict-outputs.json");

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("details").get(0).get("field").asText()).isEqualTo("outputs");
        assertThat(body(response).get("details").get(0).get("reason").asText()).startsWith("'rawPrediction' is only answered inline");
        verifyNoInteractions(jobs);
    }

    @Test
    void predict_whenBatchBackendThrottles_answers503WithRetryAfter() {
        when(jobs.submit(any(), anyString(), anyString(), anyString()))
                .thenThrow(new ThrottledException("StartJobRun throttled", 20, null));

        APIGatewayProxyResponseEvent response = call(handler(), "predict-records.json");

        assertThat(response.getStatusCode()).isEqualTo(503);
        assertThat(response.getHeaders()).containsEntry("Retry-After", "20");
        assertThat(body(response).get("error").asText()).isEqualTo("the batch backend is busy; try again in 20 seconds");
    }

    /** JSON text to a tree, for comparing staged lines regardless of key order. */
    private static final class StagedJson {
        static JsonNode tree(String json) {
            try {
                return Json.MAPPER.readTree(json);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A handler whose jobs are the real StoreJobs over the in-memory bucket, with a launcher that counts starts. */
    private PredictHandler keyedHandler(dev.mlserve.functions.ports.BatchLauncher launcher) {
        ScorerCache models = new ScorerCache(new LocalBundleStore(ApiFixtures.bundleRoot()), bundle -> {
            throw new AssertionError("the batch route must not load a pipeline");
        }, new MutableClock(Instant.parse("2026-11-25T12:00:00Z")), Duration.ofSeconds(60), 4);
        Jobs real = new dev.mlserve.functions.jobs.StoreJobs(store, launcher, "local");
        java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();
        PredictionService service = new PredictionService(models, new RoutingPolicy(2, MIB, 1000, 6 * MIB),
                new BatchSubmitter(store, real, "models/", () -> "job-" + ids.incrementAndGet()), real, null);
        return new PredictHandler(service, new RequestTelemetry(mock(Logger.class),
                new EmfMetrics(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        java.time.Clock.systemUTC(), "mlserve")));
    }

    private static dev.mlserve.functions.ports.BatchLauncher countingLauncher() {
        dev.mlserve.functions.ports.BatchLauncher launcher = mock(dev.mlserve.functions.ports.BatchLauncher.class);
        when(launcher.start(any())).thenAnswer(call -> "run-" + ((BatchJob) call.getArgument(0)).jobId());
        when(launcher.state(anyString())).thenReturn(new dev.mlserve.functions.ports.BatchLauncher.JobState("RUNNING",
                null));
        return launcher;
    }

    private com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent keyed(String key, String body) {
        com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent event =
                EventLoader.loadApiGatewayRestEvent("events/predict-records.json");
        Map<String, String> headers = new java.util.HashMap<>(event.getHeaders());
        if (key != null) {
            headers.put(BatchSubmitter.IDEMPOTENCY_HEADER, key);
        }
        event.setHeaders(headers);
        if (body != null) {
            event.setBody(body);
        }
        return event;
    }

    @Test
    void predict_retriedWithTheSameIdempotencyKey_answersTheSameJobAndStartsOnlyOne() throws Exception {
        dev.mlserve.functions.ports.BatchLauncher launcher = countingLauncher();
        PredictHandler handler = keyedHandler(launcher);

        APIGatewayProxyResponseEvent first = handler.handleRequest(keyed("order-42", null), ApiFixtures.context());
        APIGatewayProxyResponseEvent retry = handler.handleRequest(keyed("order-42", null), ApiFixtures.context());
        APIGatewayProxyResponseEvent unkeyed1 = handler.handleRequest(keyed(null, null), ApiFixtures.context());
        APIGatewayProxyResponseEvent unkeyed2 = handler.handleRequest(keyed(null, null), ApiFixtures.context());

        assertThat(first.getStatusCode()).as(first.getBody()).isEqualTo(202);
        assertThat(retry.getStatusCode()).as(retry.getBody()).isEqualTo(202);
        String jobId = body(first).path("jobId").asText();
        assertThat(jobId).startsWith("api-");
        assertThat(body(retry).path("jobId").asText()).isEqualTo(jobId);
        assertThat(body(unkeyed1).path("jobId").asText()).isNotEqualTo(body(unkeyed2).path("jobId").asText());
        verify(launcher, org.mockito.Mockito.times(3)).start(any());
    }

    @Test
    void predict_sameIdempotencyKeyWithOtherRecords_answers422AndKeepsTheStagedRecords() throws Exception {
        PredictHandler handler = keyedHandler(countingLauncher());
        APIGatewayProxyResponseEvent first = handler.handleRequest(keyed("order-7", null), ApiFixtures.context());
        String staged = new String(store.open("staging/" + body(first).path("jobId").asText() + "/records.jsonl")
                .readAllBytes(), StandardCharsets.UTF_8);
        JsonNode original = Json.MAPPER.readTree(
                EventLoader.loadApiGatewayRestEvent("events/predict-records.json").getBody());
        ((com.fasterxml.jackson.databind.node.ObjectNode) original.path("records").get(0)).put("calls", 9);

        APIGatewayProxyResponseEvent other = handler.handleRequest(keyed("order-7", original.toString()),
                ApiFixtures.context());

        assertThat(other.getStatusCode()).as(other.getBody()).isEqualTo(422);
        assertThat(body(other).path("error").asText()).contains("Idempotency-Key");
        assertThat(new String(store.open("staging/" + body(first).path("jobId").asText() + "/records.jsonl")
                .readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(staged);
    }

    @Test
    void predict_withAMalformedIdempotencyKey_answers400NamingTheHeader() throws Exception {
        APIGatewayProxyResponseEvent response = keyedHandler(countingLauncher())
                .handleRequest(keyed("no spaces/or slashes", null), ApiFixtures.context());

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).path("details").get(0).path("field").asText()).isEqualTo("Idempotency-Key");
    }
}
