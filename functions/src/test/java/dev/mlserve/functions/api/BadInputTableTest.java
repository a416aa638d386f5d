package dev.mlserve.functions.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.ports.Jobs;
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
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;

/**
 * The API's answers to careless and hostile requests, one row each: the status and a piece of the
 * JSON error it names. Never a 5xx, always a JSON error body; one warm handler answers them all and
 * still scores a good request at the end (docs/validation.md, docs/security.md).
 */
class BadInputTableTest {
    private static final String GOOD = "{\"plan\":\"basic\",\"region\":\"north\",\"tenure\":2.0,\"charges\":31.5,"
            + "\"calls\":4,\"autopay\":false}";
    private static PredictHandler handler;

    @BeforeAll
    static void warmHandler() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-02T12:00:00Z"));
        ScorerCache models = new ScorerCache(new LocalBundleStore(ApiFixtures.bundleRoot()), ApiFixtures::load, clock,
                Duration.ofSeconds(60), ScorerCache.DEFAULT_CAPACITY);
        Jobs jobs = mock(Jobs.class);
        PredictionService service = new PredictionService(models, new RoutingPolicy(1000, 6L << 20, 2000, 6L << 20),
                new BatchSubmitter(new InMemoryObjectStore("bucket"), jobs, "models/", () -> "job-1"), jobs, null);
        handler = new PredictHandler(service, new RequestTelemetry(mock(Logger.class), new EmfMetrics(
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), clock, "mlserve")));
    }

    @AfterAll
    static void stillServing() throws Exception {
        APIGatewayProxyResponseEvent ok = call("POST", "churn", "application/json", "{\"records\":[" + GOOD + "]}",
                false);
        assertThat(ok.getStatusCode()).as("the warm container keeps serving: " + ok.getBody()).isEqualTo(200);
    }

    private static String records(String... records) {
        return "{\"records\":[" + String.join(",", records) + "]}";
    }

    private static String repeat(String s, int n) {
        return s.repeat(n);
    }

    static Stream<Arguments> cases() {
        String deep = "{\"records\":[" + "[".repeat(5000) + "]".repeat(5000) + "]}";
        String deepObject = "{\"records\":[" + "{\"a\":".repeat(200) + "1" + "}".repeat(200) + "]}";
        String many = records(Stream.generate(() -> "{\"zz\":0}").limit(20_000).toArray(String[]::new));
        return Stream.of(
                // body syntax
                Arguments.of("malformed JSON", "POST", "churn", "application/json", "{\"records\":[", 400, "JSON"),
                Arguments.of("not JSON at all", "POST", "churn", "application/json", "hello", 400, "JSON"),
                Arguments.of("empty body", "POST", "churn", "application/json", "", 400, ""),
                Arguments.of("whitespace only", "POST", "churn", "application/json", "   \n", 400, ""),
                Arguments.of("JSON null", "POST", "churn", "application/json", "null", 400, ""),
                Arguments.of("JSON array at the top", "POST", "churn", "application/json", "[" + GOOD + "]", 400, ""),
                Arguments.of("a bare number", "POST", "churn", "application/json", "42", 400, ""),
                Arguments.of("trailing garbage", "POST", "churn", "application/json", records(GOOD) + " junk", 400, ""),
                Arguments.of("second document", "POST", "churn", "application/json", records(GOOD) + "{\"x\":1}", 400,
                        ""),
                Arguments.of("nested 5,000 deep", "POST", "churn", "application/json", deep, 400, "64"),
                Arguments.of("objects nested 200 deep", "POST", "churn", "application/json", deepObject, 400, "64"),
                Arguments.of("UTF-8 BOM before the JSON", "POST", "churn", "application/json", "\uFEFF" + records(GOOD),
                        400, ""),
                // shape
                Arguments.of("records missing", "POST", "churn", "application/json", "{\"rows\":[" + GOOD + "]}", 400,
                        "records"),
                Arguments.of("records not a list", "POST", "churn", "application/json", "{\"records\":" + GOOD + "}",
                        400, "records"),
                Arguments.of("records a string", "POST", "churn", "application/json", "{\"records\":\"x\"}", 400,
                        "records"),
                Arguments.of("empty records", "POST", "churn", "application/json", records(), 400, ""),
                Arguments.of("a record that is a list", "POST", "churn", "application/json", records("[1,2]"), 400, ""),
                Arguments.of("a record that is null", "POST", "churn", "application/json", records("null"), 400, ""),
                Arguments.of("outputs not a list", "POST", "churn", "application/json",
                        "{\"records\":[" + GOOD + "],\"outputs\":\"prediction\"}", 400, "outputs"),
                Arguments.of("unknown output column", "POST", "churn", "application/json",
                        "{\"records\":[" + GOOD + "],\"outputs\":[\"nope\"]}", 400, "nope"),
                // fields and values
                // a nullable field left out is null, as transform takes it (answered, not refused)
                Arguments.of("nullable field missing", "POST", "churn", "application/json",
                        records("{\"plan\":\"basic\",\"region\":\"north\",\"tenure\":2.0,\"charges\":31.5,\"calls\":4}"),
                        200, ""),
                Arguments.of("unknown field", "POST", "churn", "application/json",
                        records(GOOD.replace("}", ",\"zz\":1}")), 400, "zz"),
                Arguments.of("string for a number", "POST", "churn", "application/json",
                        records(GOOD.replace("2.0", "\"two\"")), 400, "tenure"),
                Arguments.of("number for a boolean", "POST", "churn", "application/json",
                        records(GOOD.replace("false", "3")), 400, "autopay"),
                Arguments.of("object for a string", "POST", "churn", "application/json",
                        records(GOOD.replace("\"basic\"", "{\"a\":1}")), 400, "plan"),
                Arguments.of("NaN", "POST", "churn", "application/json", records(GOOD.replace("2.0", "NaN")), 400,
                        "tenure"),
                Arguments.of("Infinity", "POST", "churn", "application/json",
                        records(GOOD.replace("2.0", "Infinity")), 400, "tenure"),
                Arguments.of("a number beyond double", "POST", "churn", "application/json",
                        records(GOOD.replace("2.0", "1e400")), 400, "tenure"),
                Arguments.of("a fraction for an int", "POST", "churn", "application/json",
                        records(GOOD.replace("\"calls\":4", "\"calls\":4.5")), 400, "calls"),
                Arguments.of("an int beyond int", "POST", "churn", "application/json",
                        records(GOOD.replace("\"calls\":4", "\"calls\":99999999999")), 400, "calls"),
                Arguments.of("a 2,000-digit number", "POST", "churn", "application/json",
                        records(GOOD.replace("2.0", "1" + repeat("0", 2000))), 400, ""),
                Arguments.of("20,000 bad records", "POST", "churn", "application/json", many, 413, ""),
                Arguments.of("a huge field name", "POST", "churn", "application/json",
                        records(GOOD.replace("}", ",\"" + repeat("k", 100_000) + "\":1}")), 400, "..."),
                Arguments.of("a 1 MB string value", "POST", "churn", "application/json",
                        records(GOOD.replace("\"north\"", "\"" + repeat("n", 1 << 20) + "\"")), 200, ""),
                Arguments.of("a duplicate key", "POST", "churn", "application/json",
                        records(GOOD.replace("}", ",\"plan\":\"pro\"}")), 400, "Duplicate field 'plan'"),
                // content types
                Arguments.of("text/plain", "POST", "churn", "text/plain", records(GOOD), 415, "text/plain"),
                Arguments.of("form post", "POST", "churn", "application/x-www-form-urlencoded", "a=1", 415, ""),
                Arguments.of("no content type", "POST", "churn", null, records(GOOD), 415, ""),
                Arguments.of("XML", "POST", "churn", "application/xml", "<records/>", 415, ""),
                Arguments.of("CSV with a bad header", "POST", "churn", "text/csv", "who,what\n1,2\n", 400, ""),
                Arguments.of("CSV ragged row", "POST", "churn", "text/csv",
                        "plan,region,tenure,charges,calls,autopay\nbasic,north,2.0\n", 400, ""),
                Arguments.of("CSV wrong delimiter", "POST", "churn", "text/csv",
                        "plan;region;tenure;charges;calls;autopay\nbasic;north;2.0;31.5;4;false\n", 400, ""),
                Arguments.of("CSV unclosed quote", "POST", "churn", "text/csv",
                        "plan,region,tenure,charges,calls,autopay\n\"basic,north,2.0,31.5,4,false\n", 400, ""),
                Arguments.of("CSV header only", "POST", "churn", "text/csv", "plan,region,tenure,charges,calls,autopay\n",
                        400, ""),
                Arguments.of("CSV empty", "POST", "churn", "text/csv", "", 400, ""),
                Arguments.of("CSV with a text number", "POST", "churn", "text/csv",
                        "plan,region,tenure,charges,calls,autopay\nbasic,north,two,31.5,4,false\n", 400, "tenure"),
                // models, versions, paths
                Arguments.of("unknown model", "POST", "nope", "application/json", records(GOOD), 404, "nope"),
                Arguments.of("model with ..", "POST", "../secrets", "application/json", records(GOOD), 404, ""),
                Arguments.of("model with a slash", "POST", "a/b", "application/json", records(GOOD), 404, ""),
                Arguments.of("model URL-encoded dots", "POST", "%2e%2e", "application/json", records(GOOD), 404, ""),
                Arguments.of("model with unicode dots", "POST", "\u2024\u2024", "application/json", records(GOOD), 404,
                        ""),
                Arguments.of("model with a NUL", "POST", "churn\u0000", "application/json", records(GOOD), 404, ""),
                Arguments.of("unknown version", "POST", "churn", "application/json",
                        "{\"version\":\"99\",\"records\":[" + GOOD + "]}", 404, "99"),
                Arguments.of("version with ..", "POST", "churn", "application/json",
                        "{\"version\":\"../1\",\"records\":[" + GOOD + "]}", 404, ""),
                Arguments.of("wrong method", "GET", "churn", "application/json", records(GOOD), 405, ""),
                Arguments.of("DELETE", "DELETE", "churn", "application/json", "", 405, ""),
                // encodings
                Arguments.of("base64 that is not base64", "POST-B64-RAW", "churn", "application/json", "%%%not base64",
                        400, ""),
                Arguments.of("non-UTF-8 bytes", "POST-B64", "churn", "application/json", "\u00ff\u00fe{\"records\":[]}",
                        400, ""),
                Arguments.of("gzip bytes as JSON", "POST-B64", "churn", "application/json",
                        "\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000", 400, ""));
    }

    private static APIGatewayProxyResponseEvent call(String method, String model, String contentType, String body,
                                                     boolean base64) {
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/predict-records.json");
        event.setHttpMethod(method);
        event.setPath("/models/" + model + "/predict");
        event.setPathParameters(Map.of("model", model));
        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.remove("Content-Type");
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        event.setHeaders(headers);
        event.setMultiValueHeaders(null);
        event.setBody(body);
        event.setIsBase64Encoded(base64);
        return handler.handleRequest(event, ApiFixtures.context());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void request_isAnsweredWithItsDocumentedClientError(String name, String method, String model, String contentType,
                                                        String body, int status, String errorNames) throws Exception {
        String sent = body;
        boolean base64 = false;
        if (method.startsWith("POST-B64")) {
            base64 = true;
            sent = method.equals("POST-B64-RAW") ? body
                    : Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.ISO_8859_1));
            method = "POST";
        }

        APIGatewayProxyResponseEvent response = call(method, model, contentType, sent, base64);

        assertThat(response.getStatusCode()).as(name + ": " + abbreviate(response.getBody())).isEqualTo(status)
                .isLessThan(500);
        if (status != 200) {
            JsonNode error = Json.MAPPER.readTree(response.getBody());
            assertThat(error.path("error").isTextual()).as(name + ": a JSON error").isTrue();
            assertThat(error.path("requestId").asText()).isNotEmpty();
            assertThat(response.getBody().length()).as(name + ": a bounded answer").isLessThan(64 * 1024);
            assertThat(response.getBody()).as(name).contains(errorNames);
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "null" : s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}
