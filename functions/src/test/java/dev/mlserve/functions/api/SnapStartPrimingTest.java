package dev.mlserve.functions.api;

import static dev.mlserve.functions.api.ApiFixtures.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.telemetry.EmfMetrics;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.functions.testing.InMemoryObjectStore;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.crac.Context;
import org.crac.Resource;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The SnapStart hooks, called directly as the runtime would around a snapshot. */
class SnapStartPrimingTest {

    @SuppressWarnings("unchecked")
    private final Context<Resource> crac = mock(Context.class);

    @Test
    void beforeCheckpoint_withAPreloadedModel_answersEveryPrimingRequestThroughTheHandler() throws Exception {
        Path root = ApiFixtures.copyOfBundleRoot();
        PredictHandler handler = handler(root, "churn");

        handler.priming().beforeCheckpoint(crac);

        assertThat(handler.priming().primedRequests()).isEqualTo(2 * SnapStartPriming.PRIMING_REQUESTS);
        assertThat(handler.handleRequest(describe(), ApiFixtures.context()).getStatusCode()).isEqualTo(200);
        // loaded from the bundle's pipeline snapshot: the snapshot must hold the verified fast path
        dev.mlserve.scoring.fast.FastPathScorer scorer =
                (dev.mlserve.scoring.fast.FastPathScorer) modelsOf(handler).scorer("churn", "1");
        assertThat(scorer.fastPathStatus()).startsWith("on: self-check identical on ").endsWith("(recorded and live)");
    }

    @Test
    void beforeCheckpoint_withoutPreloadedModels_primesNothing() throws Exception {
        PredictHandler handler = handler(ApiFixtures.copyOfBundleRoot(), "");

        handler.priming().beforeCheckpoint(crac);

        assertThat(handler.priming().primedRequests()).isZero();
    }

    @Test
    void afterRestore_whenLatestChangedSinceTheSnapshot_theNextRequestServesTheNewLatest() throws Exception {
        Path root = ApiFixtures.copyOfBundleRoot();
        PredictHandler handler = handler(root, "churn");
        handler.priming().beforeCheckpoint(crac);
        BundleFiles.writeLatest(root, ApiFixtures.MODEL, "2");
        assertThat(currentVersion(handler)).as("within MLSERVE_LATEST_CHECK_SECONDS: the snapshot's lookup")
                .isEqualTo("1");

        handler.priming().afterRestore(crac);

        assertThat(handler.priming().restores()).isEqualTo(1);
        assertThat(currentVersion(handler)).isEqualTo("2");
    }

    @Test
    void sampleRecord_usesALabelThePipelinesStringIndexerKnows() {
        Path root = ApiFixtures.copyOfBundleRoot();
        PredictHandler handler = handler(root, "churn");
        ScorerCache models = modelsOf(handler);

        Map<String, Object> record = SnapStartPriming.sampleRecord(models.scorer("churn", "1"));

        assertThat(record).containsOnlyKeys(models.metadata("churn", "1").inputSchema().stream()
                .map(f -> f.name()).toArray(String[]::new));
        assertThat(record.get("plan")).isIn("basic", "standard", "premium");
    }

    private static ScorerCache modelsOf(PredictHandler handler) {
        return handler.priming().models();
    }

    private static String currentVersion(PredictHandler handler) {
        APIGatewayProxyResponseEvent response = handler.handleRequest(describe(), ApiFixtures.context());
        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
        return body(response).get("currentVersion").asText();
    }

    private static APIGatewayProxyRequestEvent describe() {
        return new APIGatewayProxyRequestEvent().withHttpMethod("GET").withPath("/models/churn")
                .withResource("/models/{model}").withPathParameters(Map.of("model", "churn"));
    }

    private static PredictHandler handler(Path root, String preload) {
        TestSpark.session(); // the container's session is the JVM's active one
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(
                FunctionConfig.BACKEND, "local",
                FunctionConfig.LOCAL_STORE, root.toString(),
                FunctionConfig.MODEL_PREFIX, "",
                FunctionConfig.PRELOAD_MODELS, preload));
        return PredictHandler.forConfig(config, (c, spark) -> new Adapters(new InMemoryObjectStore("local"),
                        new LocalBundleStore(c.localStore().resolve(c.modelPrefix())), mock(BatchLauncher.class),
                        mock(Jobs.class)),
                new RequestTelemetry(mock(Logger.class), new EmfMetrics(new PrintStream(new ByteArrayOutputStream(),
                        true, StandardCharsets.UTF_8), Clock.systemUTC(), "mlserve")));
    }
}
