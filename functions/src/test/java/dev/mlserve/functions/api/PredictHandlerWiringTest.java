package dev.mlserve.functions.api;

import static dev.mlserve.functions.api.ApiFixtures.body;
import static org.assertj.core.api.Assertions.assertThat;
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
}
