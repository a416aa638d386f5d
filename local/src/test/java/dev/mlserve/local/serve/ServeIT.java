package dev.mlserve.local.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.local.LocalStores;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.TestSpark;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} driven over HTTP like curl: the three routes, an unknown route, a dropped upload. */
class ServeIT {
    private static final String RECORD = "{\"plan\":\"basic\",\"region\":\"north\",\"tenure\":2.0,\"charges\":31.5,"
            + "\"calls\":4,\"autopay\":false}";

    @TempDir
    static Path dir;
    private static ServeCommand.Running serve;
    private static Path store;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        TestSpark.session();
        store = LocalStores.withParityModel(dir.resolve("store"));
        Path envVars = dir.resolve("env.json");
        Files.writeString(envVars, "{\"PredictFunction\": {\"MLSERVE_INLINE_MAX_RECORDS\": \"2\"}}");
        serve = ServeCommand.start(new String[] {"--port", "0", "--store", store.toString(), "--template",
                "../template.yaml", "--env-vars", envVars.toString(), "--poll-ms", "200"}, Map.of());
    }

    @AfterAll
    static void stop() {
        serve.close();
    }

    private static HttpResponse<String> send(String method, String path, String contentType, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(serve.api().url() + path))
                .timeout(Duration.ofSeconds(120));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    @Test
    void postPredict_withinTheInlineLimit_answers200WithPredictionsAndRouteHeader() throws Exception {
        HttpResponse<String> r = send("POST", "/models/churn/predict", "application/json",
                "{\"records\":[" + RECORD + "]}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("predictions")).hasSize(1);
        assertThat(r.headers().firstValue("X-Mlserve-Route")).hasValue("inline");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    @Test
    void postPredict_csvBody_isPassedAsTextAndAnswered200() throws Exception {
        HttpResponse<String> r = send("POST", "/models/churn/predict?outputs=prediction", "text/csv",
                "plan,region,tenure,charges,calls,autopay\nbasic,north,2.0,31.5,4,false\n");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).at("/predictions/0").has("prediction")).isTrue();
        assertThat(json(r).at("/predictions/0").has("probability")).isFalse();
    }

    @Test
    void postPredict_overTheInlineLimit_answers202_andGetJobReachesSuccess() throws Exception {
        HttpResponse<String> accepted = send("POST", "/models/churn/predict", "application/json",
                "{\"records\":[" + RECORD + "," + RECORD + "," + RECORD + "]}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String jobId = json(accepted).get("jobId").asText();
        assertThat(json(accepted).get("statusUrl").asText()).isEqualTo(serve.api().url() + "/jobs/" + jobId);

        JsonNode job = null;
        for (int i = 0; i < 240; i++) {
            HttpResponse<String> r = send("GET", "/jobs/" + jobId, null, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            job = json(r);
            if (!job.get("state").asText().matches("SUBMITTED|PENDING|SCHEDULED|RUNNING")) {
                break;
            }
            Thread.sleep(500);
        }

        assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("SUCCESS");
        assertThat(job.get("rowsScored").asInt()).isEqualTo(3);
    }

    @Test
    void getModel_answersVersionsAndInputSchema() throws Exception {
        HttpResponse<String> r = send("GET", "/models/churn", null, null);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("versions")).extracting(JsonNode::asText).containsExactly("1");
        assertThat(json(r).get("inputSchema")).hasSize(6);
    }

    @Test
    void getJob_unknown_answersTheHandlers404() throws Exception {
        HttpResponse<String> r = send("GET", "/jobs/no-such-job", null, null);

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).get("error").asText()).contains("no-such-job");
    }

    @Test
    void unknownRouteOrMethod_answers403MissingAuthenticationToken_likeApiGateway() throws Exception {
        HttpResponse<String> unknown = send("GET", "/health", null, null);
        HttpResponse<String> wrongMethod = send("DELETE", "/models/churn", null, null);

        assertThat(unknown.statusCode()).isEqualTo(403);
        assertThat(json(unknown).get("message").asText()).isEqualTo("Missing Authentication Token");
        assertThat(wrongMethod.statusCode()).isEqualTo(403);
    }

    @Test
    void fileDroppedIntoIncoming_isScoredByTheUploadFunction() throws Exception {
        Path upload = store.resolve("incoming/churn/dropped.csv");
        Files.createDirectories(upload.getParent());
        Files.writeString(upload, "plan,region,tenure,charges,calls,autopay\nbasic,north,2.0,31.5,4,false\n"
                + "premium,west,lots,99.0,1,true\n");
        Path manifest = store.resolve("scored/churn/dropped.csv/_manifest.json");

        for (int i = 0; i < 240 && !Files.exists(manifest); i++) {
            Thread.sleep(250);
        }

        assertThat(manifest).exists();
        JsonNode m = Json.MAPPER.readTree(manifest.toFile());
        assertThat(m.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(m.get("rowsScored").asInt()).isEqualTo(1);
        assertThat(m.get("rowsRejected").asInt()).isEqualTo(1);
    }
}
