package dev.mlserve.local.serve;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import dev.mlserve.functions.api.PredictHandler;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.emr.LocalBatchLauncher;
import dev.mlserve.functions.upload.UploadHandler;
import dev.mlserve.functions.upload.UploadService;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.scoring.spark.SparkSessions;
import dev.mlserve.scoring.spark.SparkSettings;
import java.time.Duration;
import org.apache.spark.sql.SparkSession;

/**
 * Both functions built once in this JVM, like two warm containers, over the embedded default:
 * one local store and one in-process batch launcher shared by both (as both share one bucket and
 * one EMR application in AWS), each with its own configuration. Used by {@code serve} and
 * {@code demo}; {@code invoke} runs handlers in a child JVM instead.
 */
public final class InProcessFunctions implements AutoCloseable {
    private final PredictHandler api;
    private final UploadHandler upload;
    private final LocalBatchLauncher launcher;

    private InProcessFunctions(PredictHandler api, UploadHandler upload, LocalBatchLauncher launcher) {
        this.api = api;
        this.upload = upload;
        this.launcher = launcher;
    }

    /**
     * @param apiConfig the predict function's configuration (its store is the shared one)
     * @param uploadConfig the upload function's configuration (its upload inline limit)
     * @throws IllegalArgumentException when a configuration is not the local backend
     */
    public static InProcessFunctions create(FunctionConfig apiConfig, FunctionConfig uploadConfig) {
        if (apiConfig.isAws() || uploadConfig.isAws()) {
            throw new IllegalArgumentException("in-process functions run over the local backend only ("
                    + FunctionConfig.BACKEND + "=local); use invoke with an env-vars file for the aws backend");
        }
        SparkSettings settings = SparkSettings.defaults("mlserve-local");
        SparkSession spark = SparkSessions.getOrCreate(settings);
        Adapters adapters = Adapters.local(apiConfig, spark);
        UploadService uploads = UploadService.create(uploadConfig, adapters, spark,
                settings.scratchDir().resolve("uploads"));
        return new InProcessFunctions(PredictHandler.withAdapters(apiConfig, adapters),
                UploadHandler.withService(uploads), (LocalBatchLauncher) adapters.launcher());
    }

    public RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> api() {
        return api;
    }

    public RequestHandler<S3Event, String> upload() {
        return upload;
    }

    /** Waits for the batch runs started so far; false on timeout. */
    public boolean awaitBatchIdle(Duration timeout) throws InterruptedException {
        return launcher.awaitIdle(timeout);
    }

    @Override
    public void close() {
        launcher.close();
    }
}
