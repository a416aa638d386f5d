package dev.mlserve.functions.api;

import static dev.mlserve.functions.api.ApiFixtures.REQUEST_ID;
import static dev.mlserve.functions.api.ApiFixtures.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.routing.RoutingPolicy;
import dev.mlserve.functions.telemetry.EmfMetrics;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.functions.testing.InMemoryObjectStore;
import dev.mlserve.functions.testing.MutableClock;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import org.slf4j.Logger;

/** The API table and its error codes, through the handler, with real Spark for inline scoring. */
class PredictHandlerTest {
    private static final long MIB = 1024 * 1024;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    private final Jobs jobs = mock(Jobs.class);
    private final Logger requestLog = mock(Logger.class);
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    private PredictHandler handler(RoutingPolicy routing) {
        return handler(routing, ApiFixtures.bundleRoot());
    }

    private PredictHandler handler(RoutingPolicy routing, Path bundleRoot) {
        ScorerCache models = new ScorerCache(new LocalBundleStore(bundleRoot), ApiFixtures::load, clock,
                Duration.ofSeconds(60), ScorerCache.DEFAULT_CAPACITY);
        PredictionService service = new PredictionService(models, routing,
                new BatchSubmitter(new InMemoryObjectStore("bucket"), jobs, "models/", () -> "job-1"), jobs, null);
        return new PredictHandler(service, new RequestTelemetry(requestLog,
                new EmfMetrics(new PrintStream(stdout, true, StandardCharsets.UTF_8), clock, "mlserve")));
    }

    private PredictHandler handler() {
        return handler(new RoutingPolicy(1000, MIB, 100_000, 6 * MIB));
    }

    private APIGatewayProxyResponseEvent call(PredictHandler handler, String event) {
        APIGatewayProxyRequestEvent request = EventLoader.loadApiGatewayRestEvent("events/" + event);
        return handler.handleRequest(request, ApiFixtures.context());
    }

    @Test
    void predict_records_answers200WithPlainTransformsPredictionsAndRoute() throws Exception {
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/predict-records.json");

        APIGatewayProxyResponseEvent response = handler().handleRequest(event, ApiFixtures.context());

        assertThat(response.getStatusCode()).isEqualTo(200);
        JsonNode body = body(response);
        assertThat(body.get("model").asText()).isEqualTo("churn");
        assertThat(body.get("version").asText()).isEqualTo("1");
        assertThat(body.get("route").asText()).isEqualTo("inline");
        assertThat(body.get("routeReason").asText())
                .isEqualTo("3 records, " + event.getBody().length() + " bytes: within inline limits (1000 records, 1 MiB)");
        assertThat(response.getHeaders())
                .containsEntry("Content-Type", "application/json")
                .containsEntry("X-Mlserve-Route", "inline")
                .containsEntry("X-Mlserve-Route-Reason", body.get("routeReason").asText());
        List<Map<String, Object>> records = Json.MAPPER.convertValue(Json.MAPPER.readTree(event.getBody()).get("records"),
                new TypeReference<>() { });
        PipelineScorer scorer = (PipelineScorer) ApiFixtures.load(new LocalBundleStore(ApiFixtures.bundleRoot())
                .fetch("churn", "1"));
        List<Map<String, Object>> expected = Parity.plainTransform(scorer.model(),
                ParityPipelines.frame(TestSpark.session(), records), List.of("prediction", "probability"));
        assertThat(body.get("predictions")).isEqualTo(Json.MAPPER.readTree(Parity.exact(expected)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"predict-dataframe-split.json", "predict-dataframe-records.json", "predict-instances.json",
        "predict-inputs-columnar.json", "predict-csv.json", "predict-csv-base64.json", "predict-via-proxy-resource.json"})
    void predict_mlflowCsvAndProxyVariants_answerTheSamePredictionsAsRecords(String event) {
        PredictHandler handler = handler();
        JsonNode expected = body(call(handler, "predict-records.json")).get("predictions");

        APIGatewayProxyResponseEvent response = call(handler, event);

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
        JsonNode predictions = body(response).get("predictions");
        if (event.equals("predict-via-proxy-resource.json")) {
            assertThat(predictions.get(0)).isEqualTo(expected.get(0));
        } else {
            assertThat(predictions).isEqualTo(expected);
        }
    }

    @Test
    void predict_whenAStageRefusesAnUnseenLabelUnderHandleInvalidError_answers400NamingRecordAndField()
            throws Exception {
        Path root = Files.createTempDirectory("mlserve-strict-bundle");
        List<Map<String, Object>> known = ParityPipelines.records(200, 3).stream()
                .filter(r -> !"enterprise".equals(r.get("plan"))).toList();
        PipelineModel strict = new Pipeline().setStages(
                new PipelineStage[] {
                    new StringIndexer().setInputCol("plan").setOutputCol("plan_idx"),
                    new VectorAssembler().setInputCols(new String[] {"plan_idx"})
                            .setOutputCol("features"),
                    new KMeans().setK(2).setSeed(1)})
                .fit(ParityPipelines.frame(TestSpark.session(), known));
        new BundleWriter(root).write(strict, "strict", "1", ParityPipelines.SCHEMA,
                List.of("prediction"), Map.of());
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/predict-records.json")
                .withPath("/models/strict/predict")
                .withPathParameters(Map.of("model", "strict"))
                .withBody("{\"records\":[{\"plan\":\"basic\"},{\"plan\":\"enterprise\"}]}");
        PredictHandler handler = handler(new RoutingPolicy(1000, MIB, 100_000, 6 * MIB), root);

        APIGatewayProxyResponseEvent response = handler.handleRequest(event, ApiFixtures.context());
        APIGatewayProxyResponseEvent next = handler.handleRequest(event.withBody(
                "{\"records\":[{\"plan\":\"basic\"}]}"), ApiFixtures.context());

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(400);
        JsonNode body = body(response);
        assertThat(body.get("error").asText()).isEqualTo("1 of 2 records cannot be scored by the model");
        assertThat(body.get("details")).hasSize(1);
        assertThat(body.at("/details/0/record").asInt()).isEqualTo(1);
        assertThat(body.at("/details/0/field").asText()).isEqualTo("plan");
        assertThat(body.at("/details/0/reason").asText()).contains("Unseen label: enterprise");
        assertThat(next.getStatusCode()).as("the container keeps serving").isEqualTo(200);
    }

    @Test
    void predict_csvWithOutputsInQueryString_answersOnlyThoseColumns() {
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/predict-csv.json")
                .withQueryStringParameters(Map.of("version", "2", "outputs", "probability"));

        APIGatewayProxyResponseEvent response = handler().handleRequest(event, ApiFixtures.context());

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
        assertThat(body(response).get("version").asText()).isEqualTo("2");
        assertThat(body(response).get("predictions").get(0).fieldNames()).toIterable().containsExactly("probability");
    }

    @Test
    void predict_whenQueryAndBodyAskForDifferentVersions_answers400() {
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/predict-unknown-version.json")
                .withQueryStringParameters(Map.of("version", "1"));

        APIGatewayProxyResponseEvent response = handler().handleRequest(event, ApiFixtures.context());

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("details").get(0).get("reason").asText())
                .isEqualTo("the query string and the body ask for different versions or outputs");
    }

    @Test
    void predict_withOutputsSelection_answersOnlyThoseColumnsInThatOrder() {
        APIGatewayProxyResponseEvent response = call(handler(), "predict-outputs.json");

        assertThat(response.getStatusCode()).isEqualTo(200);
        JsonNode first = body(response).get("predictions").get(0);
        assertThat(first.fieldNames()).toIterable().containsExactly("rawPrediction", "prediction");
        assertThat(first.get("rawPrediction").isArray()).isTrue();
    }

    @Test
    void predict_whenFieldHasWrongType_answers400WithRecordFieldAndReason() {
        APIGatewayProxyResponseEvent response = call(handler(), "predict-bad-record.json");

        assertThat(response.getStatusCode()).isEqualTo(400);
        JsonNode body = body(response);
        assertThat(body.get("error").asText()).isEqualTo("2 of 2 records are invalid");
        assertThat(body.get("requestId").asText()).isEqualTo(REQUEST_ID);
        assertThat(body.get("details")).isEqualTo(Json.MAPPER.valueToTree(List.of(
                Map.of("record", 0, "field", "tenure", "reason", "expected double, got string \"12\""),
                Map.of("record", 1, "field", "calls", "reason", "expected int, got 2.5 (not an integer)"))));
    }

    @Test
    void predict_whenBodyIsNotJson_answers400NamingTheProblem() {
        APIGatewayProxyResponseEvent response = call(handler(), "predict-malformed-json.json");

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("error").asText()).isEqualTo("request body is not valid JSON");
        assertThat(body(response).get("details").get(0).get("reason").asText()).contains("line 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"records", "nested"})
    void predict_whenBodyIsNestedThousandsDeep_answers400NamingTheLimit(String shape) {
        int depth = 5_000;
        String body = shape.equals("records") ? "{\"records\": " + "[".repeat(depth) + "]".repeat(depth) + "}"
                : "{\"a\": ".repeat(depth) + "1" + "}".repeat(depth);

        APIGatewayProxyResponseEvent response = handler().handleRequest(ApiEvents.predictEvent("churn", body),
                ApiFixtures.context());

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("details").get(0).get("reason").asText())
                .isEqualTo("JSON nested deeper than " + Json.MAX_NESTING_DEPTH + " levels");
    }

    @Test
    void predict_whenASecondDocumentFollowsTheBody_answers400() {
        APIGatewayProxyResponseEvent response = handler().handleRequest(ApiEvents.predictEvent("churn",
                "{\"records\": []}{\"x\": 1}"), ApiFixtures.context());

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("error").asText()).isEqualTo("request body is not valid JSON");
    }

    @Test
    void predict_whenEachOf116kRecordsIsBad_answersA400UnderSixtyFourKiBThatCountsTheOmittedDetails()
            throws Exception {
        String body = "{\"records\": [" + String.join(",", java.util.Collections.nCopies(116_000, "{\"zz\":0}")) + "]}";
        PredictHandler handler = handler(new RoutingPolicy(1000, MIB, 200_000, 6 * MIB));

        APIGatewayProxyResponseEvent response = handler.handleRequest(ApiEvents.predictEvent("churn", body),
                ApiFixtures.context());

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(response.getBody().getBytes(StandardCharsets.UTF_8).length).isLessThan(64 * 1024);
        JsonNode answer = body(response);
        assertThat(answer.get("error").asText()).isEqualTo("116000 of 116000 records are invalid");
        assertThat(answer.get("details")).hasSize(100);
        assertThat(answer.get("detailsOmitted").asLong()).isPositive();
        JsonNode emf = Json.MAPPER.readTree(stdout.toString(StandardCharsets.UTF_8).strip());
        assertThat(emf.get("RecordsRejected").asInt()).isEqualTo(116_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""})
    void predict_whenContentTypeIsNeitherJsonNorCsv_answers415(String contentType) {
        APIGatewayProxyRequestEvent event = ApiEvents.predictEvent("churn", "{\"records\": [{\"plan\": \"basic\"}]}")
                .withHeaders(contentType.isEmpty() ? Map.of() : Map.of("Content-Type", contentType));

        APIGatewayProxyResponseEvent response = handler().handleRequest(event, ApiFixtures.context());

        assertThat(response.getStatusCode()).isEqualTo(415);
        assertThat(body(response).get("error").asText()).endsWith("send application/json or text/csv");
    }

    @Test
    void predict_unknownModel_answers404() {
        APIGatewayProxyResponseEvent response = call(handler(), "predict-unknown-model.json");

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(body(response).get("error").asText()).isEqualTo("unknown model 'nosuch'");
        assertThat(body(response).get("requestId").asText()).isEqualTo(REQUEST_ID);
    }

    @Test
    void predict_unknownVersion_answers404() {
        APIGatewayProxyResponseEvent response = call(handler(), "predict-unknown-version.json");

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(body(response).get("error").asText()).isEqualTo("model 'churn' has no version '9'");
    }

    @Test
    void predict_modelNameWithPathTrick_answers404AsAnInvalidName() {
        APIGatewayProxyResponseEvent response = call(handler(), "predict-path-trick.json");

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(body(response).get("error").asText()).startsWith("model '../secrets' is not a valid model");
    }

    @Test
    void predict_overMaxRecords_answers413() {
        APIGatewayProxyResponseEvent response = call(handler(new RoutingPolicy(1, 1, 2, 6 * MIB)), "predict-records.json");

        assertThat(response.getStatusCode()).isEqualTo(413);
        assertThat(body(response).get("error").asText()).isEqualTo("request has 3 records, over the maximum of 2 per request");
    }

    @Test
    void predict_overMaxRequestBytes_answers413BeforeParsing() {
        APIGatewayProxyResponseEvent response = call(handler(new RoutingPolicy(1, 1, 2, 10)), "predict-malformed-json.json");

        assertThat(response.getStatusCode()).isEqualTo(413);
        assertThat(body(response).get("error").asText()).isEqualTo("request body is 30 bytes, over the maximum of 10 bytes per request");
    }

    @Test
    void getModel_answersVersionsCurrentVersionSchemaOutputsAndMetrics() {
        APIGatewayProxyResponseEvent response = call(handler(), "get-model.json");

        assertThat(response.getStatusCode()).isEqualTo(200);
        JsonNode body = body(response);
        assertThat(body.get("model").asText()).isEqualTo("churn");
        assertThat(body.get("versions")).isEqualTo(Json.MAPPER.valueToTree(List.of("1", "2")));
        assertThat(body.get("currentVersion").asText()).isEqualTo("1");
        assertThat(body.get("inputSchema").get(0)).isEqualTo(Json.MAPPER.valueToTree(
                Map.of("name", "plan", "type", "string", "nullable", false)));
        assertThat(body.get("outputs")).isEqualTo(Json.MAPPER.valueToTree(List.of("prediction", "probability")));
        assertThat(body.get("metrics").get("areaUnderROC").asDouble()).isEqualTo(0.8);
    }

    @Test
    void getModel_afterLatestChangesAndTheCheckInterval_answersTheNewCurrentVersionWithoutRestart() throws Exception {
        Path root = ApiFixtures.copyOfBundleRoot();
        PredictHandler handler = handler(new RoutingPolicy(1000, MIB, 100_000, 6 * MIB), root);
        assertThat(body(call(handler, "get-model.json")).get("currentVersion").asText()).isEqualTo("1");
        BundleFiles.writeLatest(root, "churn", "2");

        clock.advance(Duration.ofSeconds(59));
        String beforeInterval = body(call(handler, "get-model.json")).get("currentVersion").asText();
        clock.advance(Duration.ofSeconds(1));
        String afterInterval = body(call(handler, "get-model.json")).get("currentVersion").asText();

        assertThat(beforeInterval).isEqualTo("1");
        assertThat(afterInterval).isEqualTo("2");
    }

    @Test
    void getJob_knownJob_answers200WithStateOutputAndCounts() {
        String id = "4d1f2c3b-0000-4000-8000-00000000abcd";
        when(jobs.status(id)).thenReturn(Optional.of(new JobStatus(id, "SUCCESS", "churn", "1",
                "s3://bucket/scored/churn/" + id + "/", "6000 records: over the inline limit", 6000L, 5990L, 10L, null)));

        APIGatewayProxyResponseEvent response = call(handler(), "get-job.json");

        assertThat(response.getStatusCode()).isEqualTo(200);
        JsonNode body = body(response);
        assertThat(body.get("state").asText()).isEqualTo("SUCCESS");
        assertThat(body.get("output").asText()).isEqualTo("s3://bucket/scored/churn/" + id + "/");
        assertThat(body.get("route").asText()).isEqualTo("batch");
        assertThat(body.get("rowsIn").asLong()).isEqualTo(6000);
        assertThat(body.get("rowsScored").asLong()).isEqualTo(5990);
        assertThat(body.get("rowsRejected").asLong()).isEqualTo(10);
        assertThat(body.has("error")).isFalse();
    }

    @Test
    void getJob_unknownJob_answers404() {
        when(jobs.status("4d1f2c3b-0000-4000-8000-00000000abcd")).thenReturn(Optional.empty());

        APIGatewayProxyResponseEvent response = call(handler(), "get-job.json");

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(body(response).get("error").asText()).isEqualTo("unknown job '4d1f2c3b-0000-4000-8000-00000000abcd'");
    }

    @Test
    void unknownRoute_answers404() {
        APIGatewayProxyResponseEvent response = call(handler(), "get-unknown-route.json");

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(body(response).get("error").asText()).startsWith("no route for GET /health");
    }

    @Test
    void wrongMethod_answers405WithAllowHeader() {
        APIGatewayProxyResponseEvent response = call(handler(), "get-predict-wrong-method.json");

        assertThat(response.getStatusCode()).isEqualTo(405);
        assertThat(response.getHeaders()).containsEntry("Allow", "POST");
        assertThat(body(response).get("requestId").asText()).isEqualTo(REQUEST_ID);
    }

    @Test
    void realFault_answers500WithRequestIdAndNoDetailOrStackTrace() {
        when(jobs.status("4d1f2c3b-0000-4000-8000-00000000abcd"))
                .thenThrow(new IllegalStateException("secret bucket layout at dev.mlserve.Internal"));

        APIGatewayProxyResponseEvent response = call(handler(), "get-job.json");

        assertThat(response.getStatusCode()).isEqualTo(500);
        assertThat(response.getBody()).doesNotContain("secret").doesNotContain("dev.mlserve").doesNotContain("Exception");
        assertThat(body(response).get("error").asText()).isEqualTo("internal error; see the function log for request " + REQUEST_ID);
        assertThat(body(response).get("details")).isEmpty();
    }

    @Test
    void predict_logsOneJsonLineAndOneEmfLineWithoutRecordContents() throws Exception {
        call(handler(), "predict-records.json");

        ArgumentCaptor<Object> line = ArgumentCaptor.forClass(Object.class);
        verify(requestLog).info(eq("{}"), line.capture());
        JsonNode log = Json.MAPPER.readTree(line.getValue().toString());
        assertThat(log.get("requestId").asText()).isEqualTo(REQUEST_ID);
        assertThat(log.get("resource").asText()).isEqualTo("/models/{model}/predict");
        assertThat(log.get("model").asText()).isEqualTo("churn");
        assertThat(log.get("version").asText()).isEqualTo("1");
        assertThat(log.get("records").asInt()).isEqualTo(3);
        assertThat(log.get("route").asText()).isEqualTo("inline");
        assertThat(log.get("status").asInt()).isEqualTo(200);
        assertThat(log.has("ms")).isTrue();
        assertThat(line.getValue().toString()).doesNotContain("premium").doesNotContain("104.9");
        JsonNode emf = Json.MAPPER.readTree(stdout.toString(StandardCharsets.UTF_8).strip());
        assertThat(emf.get("_aws").get("CloudWatchMetrics").get(0).get("Dimensions").get(0).get(0).asText()).isEqualTo("Route");
        assertThat(emf.get("Route").asText()).isEqualTo("inline");
        assertThat(emf.get("RecordsScored").asInt()).isEqualTo(3);
        assertThat(emf.get("RecordsRejected").asInt()).isZero();
    }

    @Test
    void predict_badRecords_countsRejectedRecordsInMetrics() throws Exception {
        call(handler(), "predict-bad-record.json");

        JsonNode emf = Json.MAPPER.readTree(stdout.toString(StandardCharsets.UTF_8).strip());
        assertThat(emf.get("RecordsRejected").asInt()).isEqualTo(2);
        assertThat(emf.get("status").asInt()).isEqualTo(400);
    }
}
