package dev.mlserve.local.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.local.LocalStores;
import dev.mlserve.local.RunnerJar;
import dev.mlserve.local.RunnerJar.Result;
import dev.mlserve.scoring.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code invoke} from the built jar, as a developer runs it: the template's function, an event
 * file from events/, a local store made as {@code demo} makes it (the demo bundle the events are
 * written for); stdout is the answer alone.
 */
class InvokeIT {
    @TempDir
    static Path dir;
    private static Path store;

    @BeforeAll
    static void store() throws Exception {
        store = LocalStores.withDemoBundle(dir.resolve("store"));
    }

    static Result invoke(String... args) throws Exception {
        return invokeOver(store, args);
    }

    static Result invokeOver(Path storeDir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("invoke"));
        command.addAll(List.of(args));
        command.addAll(List.of("--template", "../template.yaml", "--store", storeDir.toString()));
        return RunnerJar.run(dir, 240, command);
    }

    @Test
    void invoke_apiEvent_printsTheProxyResponseWithPredictions() throws Exception {
        Result r = invoke("PredictFunction", "--event", "../events/predict-records.json");

        assertThat(r.code()).as(r.stderr()).isZero();
        JsonNode response = r.json();
        assertThat(response.get("statusCode").asInt()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(response.get("body").asText());
        assertThat(body.get("predictions")).hasSize(3);
        assertThat(body.get("route").asText()).isEqualTo("inline");
        assertThat(r.stderr()).contains("requests: {").doesNotContain("Exception");
    }

    @Test
    void invoke_apiEventAnsweredWithAnHttpError_printsItAndExits0() throws Exception {
        Result r = invoke("PredictFunction", "--event", "../events/predict-bad-record.json");

        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.json().get("statusCode").asInt()).isEqualTo(400);
    }

    @Test
    void invoke_s3PutOfASmallFile_scoresItIntoScoredWithItsRejectedRow() throws Exception {
        Result r = invoke("UploadFunction", "--event", "../events/s3-put-small.json", "--env-vars",
                "../events/env.json");

        assertThat(r.code()).as(r.stderr()).isZero();
        JsonNode answer = Json.MAPPER.readTree(r.json().asText());
        assertThat(answer.at("/outcomes/0/action").asText()).isEqualTo("SCORED_INLINE");
        JsonNode manifest = Json.MAPPER.readTree(store.resolve("scored/churn/customers-small.csv/_manifest.json")
                .toFile());
        assertThat(manifest.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest.get("rowsRejected").asInt()).isEqualTo(1);
        assertThat(r.stderr()).as("env.json only overrides variables the template declares")
                .doesNotContain("not declared in the template");
    }

    @Test
    void invoke_whenTheHandlerThrows_printsLambdasErrorJsonAndExits1() throws Exception {
        Path broken = LocalStores.withDemoBundle(dir.resolve("store-without-scored-folder"));
        Files.writeString(broken.resolve("scored"), "a file where the results folder should be");

        Result r = invokeOver(broken, "UploadFunction", "--event", "../events/s3-put-small.json");

        assertThat(r.code()).as(r.stderr()).isEqualTo(1);
        assertThat(r.json().get("errorType").asText()).isEqualTo("java.io.UncheckedIOException");
        assertThat(r.json().get("errorMessage").asText()).isNotBlank();
        assertThat(r.json().get("stackTrace").isArray()).isTrue();
    }

    @Test
    void invoke_whenTheEventDoesNotDeserialize_printsLambdasErrorJsonAndExits1() throws Exception {
        Path malformed = dir.resolve("s3-malformed.json");
        Files.writeString(malformed, "{\"Records\": [{\"eventSource\": \"aws:s3\", \"s3\": {\"object\": {}}}]}");

        Result r = invoke("UploadFunction", "--event", malformed.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.json().get("errorType").asText()).isNotBlank();
        assertThat(r.json().has("errorMessage")).isTrue();
    }

    @Test
    void invoke_unknownFunction_exits2NamingTheTemplatesFunctions() throws Exception {
        Result r = invoke("NoSuchFunction", "--event", "../events/get-model.json");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.stderr()).contains("PredictFunction").contains("UploadFunction");
    }
}
