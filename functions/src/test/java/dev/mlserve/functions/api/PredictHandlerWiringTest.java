package dev.mlserve.functions.api;

import static dev.mlserve.functions.api.ApiFixtures.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.mockito.Mockito.mock;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.telemetry.EmfMetrics;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.functions.testing.InMemoryObjectStore;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.spark.SessionStart;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** What the public constructor wires from configuration, with the adapters supplied through the wiring seam. */
class PredictHandlerWiringTest {

    @Test
    void create_localBackend_servesBundlesFromTheLocalStoreUnderTheModelPrefix() {
        TestSpark.session(); // the container's session is the JVM's active one
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(
                FunctionConfig.BACKEND, "local",
                FunctionConfig.LOCAL_STORE, ApiFixtures.bundleRoot().toString(),
                FunctionConfig.MODEL_PREFIX, ""));
        PredictionService service = PredictHandler.create(config, (c, spark) -> new Adapters(
                new InMemoryObjectStore("local"), new LocalBundleStore(c.localStore().resolve(c.modelPrefix())),
                mock(BatchLauncher.class), mock(Jobs.class)));
        PredictHandler handler = new PredictHandler(service, new RequestTelemetry(mock(Logger.class),
                new EmfMetrics(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        Clock.systemUTC(), "mlserve")));

        APIGatewayProxyResponseEvent response = handler.handleRequest(
                EventLoader.loadApiGatewayRestEvent("events/predict-records.json"), ApiFixtures.context());

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
        assertThat(body(response).get("predictions")).hasSize(3);
    }

    @Test
    void create_withAPreloadedSnapshot_isReadyAndAnswersWhileTheSessionIsStillStarting() throws Exception {
        TestSpark.session();
        CountDownLatch release = new CountDownLatch(1);
        SessionStart spark = new SessionStart(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return TestSpark.session();
        }, "test-spark-start");
        try {
            PredictionService service = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> PredictHandler.create(preloading(), PredictHandlerWiringTest::adapters, spark),
                    "the init waited for the session");
            PredictHandler handler = handler(service);

            APIGatewayProxyResponseEvent response = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> handler.handleRequest(EventLoader.loadApiGatewayRestEvent("events/predict-records.json"),
                            ApiFixtures.context()), "the request waited for the session");

            assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
            assertThat(body(response).get("predictions")).hasSize(3);
            assertThat(spark.isReady()).as("the session is still starting").isFalse();
            FastPathScorer scorer = (FastPathScorer) service.models().loaded().get(0);
            assertThat(scorer.fastRequests()).as("answered by the fast path").isEqualTo(1);
        } finally {
            release.countDown();
        }
        assertThat(spark.get()).isSameAs(TestSpark.session());
    }

    @Test
    void create_whenTheSessionCannotStart_stillAnswersWhatTheFastPathAnswers() {
        TestSpark.session();
        SessionStart spark = new SessionStart(() -> {
            throw new IllegalStateException("spark cannot start here");
        }, "test-spark-start");

        PredictionService service = PredictHandler.create(preloading(), PredictHandlerWiringTest::adapters, spark);
        APIGatewayProxyResponseEvent response = handler(service).handleRequest(
                EventLoader.loadApiGatewayRestEvent("events/predict-records.json"), ApiFixtures.context());

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
        assertThat(body(response).get("predictions")).hasSize(3);
    }

    private static FunctionConfig preloading() {
        return FunctionConfig.fromEnv(Map.of(
                FunctionConfig.BACKEND, "local",
                FunctionConfig.LOCAL_STORE, ApiFixtures.bundleRoot().toString(),
                FunctionConfig.MODEL_PREFIX, "",
                FunctionConfig.PRELOAD_MODELS, ApiFixtures.MODEL));
    }

    private static Adapters adapters(FunctionConfig c, Supplier<SparkSession> spark) {
        return new Adapters(new InMemoryObjectStore("local"), new LocalBundleStore(c.localStore().resolve(c.modelPrefix())),
                mock(BatchLauncher.class), mock(Jobs.class));
    }

    private static PredictHandler handler(PredictionService service) {
        return new PredictHandler(service, new RequestTelemetry(mock(Logger.class),
                new EmfMetrics(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        Clock.systemUTC(), "mlserve")));
    }
}
