package dev.mlserve.functions.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.ports.ThrottledException;
import dev.mlserve.functions.routing.RequestTooLargeException;
import dev.mlserve.functions.routing.RoutingPolicy;
import dev.mlserve.functions.telemetry.RequestFacts;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.scoring.api.Responses;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.spark.SparkSessions;
import dev.mlserve.scoring.spark.SparkSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API Lambda (API Gateway REST API, v1 proxy events): {@code POST /models/{model}/predict},
 * {@code GET /models/{model}}, {@code GET /jobs/{jobId}}. Parses the event, calls
 * {@link PredictionService}, maps the answer or the typed failure to a response.
 */
public final class PredictHandler implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(PredictHandler.class);

    private final PredictionService service;
    private final RequestTelemetry telemetry;

    /** What Lambda calls: everything built once per container; any failure fails the init. */
    public PredictHandler() {
        this(create(FunctionConfig.fromEnv(), Adapters::create), RequestTelemetry.standard(System.out));
    }

    /**
     * An in-process handler over adapters the caller built, for the local emulator ({@code serve},
     * {@code demo} in scoring-local.jar): there both functions share one store and one batch
     * launcher, as both share one bucket and one EMR application in AWS, and the configuration
     * comes from the template rather than this process's environment. Lambda uses the no-arg
     * constructor.
     */
    public static PredictHandler withAdapters(FunctionConfig config, Adapters adapters) {
        Objects.requireNonNull(adapters, "adapters");
        return new PredictHandler(create(config, (c, spark) -> adapters), RequestTelemetry.standard(System.out));
    }

    PredictHandler(PredictionService service, RequestTelemetry telemetry) {
        this.service = Objects.requireNonNull(service, "service");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        long started = System.nanoTime();
        String requestId = ApiEvents.requestId(event, context);
        RequestFacts facts = new RequestFacts(requestId, event.getHttpMethod(), event.getPath());
        ApiResponse response;
        try {
            response = service.handle(ApiEvents.toRequest(event, requestId), facts);
        } catch (RuntimeException e) {
            response = failure(e, requestId);
        }
        telemetry.record(facts, response.status(), (System.nanoTime() - started) / 1_000_000, errorOf(response),
                rejected(response));
        return ApiEvents.toEvent(response);
    }

    /** The one place failures become HTTP statuses. No stack trace ever reaches the caller. */
    static ApiResponse failure(RuntimeException e, String requestId) {
        if (e instanceof BadInputException || e instanceof ModelNotFoundException) {
            return ApiResponse.of(Responses.status(e), Responses.error(e, requestId));
        }
        if (e instanceof NotFoundException) {
            return ApiResponse.of(404, Responses.error(e.getMessage(), List.of(), requestId));
        }
        if (e instanceof MethodNotAllowedException m) {
            return new ApiResponse(405, Responses.error(e.getMessage(), List.of(), requestId), Map.of("Allow", m.allowed()));
        }
        if (e instanceof RequestTooLargeException) {
            return ApiResponse.of(413, Responses.error(e.getMessage(), List.of(), requestId));
        }
        if (e instanceof ThrottledException t) {
            return new ApiResponse(503, Responses.error("the batch backend is busy; try again in "
                    + t.retryAfterSeconds() + " seconds", List.of(), requestId),
                    Map.of("Retry-After", Integer.toString(t.retryAfterSeconds())));
        }
        LOG.error("request {} failed", requestId, e);
        return ApiResponse.of(500, Responses.error(e, requestId));
    }

    private static String errorOf(ApiResponse response) {
        return response.status() >= 400 && response.body() instanceof Map<?, ?> body
                ? String.valueOf(body.get("error")) : null;
    }

    /** Records named by a 400's details: the records that failed validation. */
    private static int rejected(ApiResponse response) {
        if (response.status() != 400 || !(response.body() instanceof Map<?, ?> body)
                || !(body.get("details") instanceof List<?> details)) {
            return 0;
        }
        return (int) details.stream().filter(d -> d instanceof Map<?, ?> m && m.get("record") != null)
                .map(d -> ((Map<?, ?>) d).get("record")).distinct().count();
    }

    /** Wires the real collaborators from configuration; builds the container's SparkSession. */
    static PredictionService create(FunctionConfig config,
                                    BiFunction<FunctionConfig, SparkSession, Adapters> wiring) {
        SparkSession spark = SparkSessions.getOrCreate(SparkSettings.defaults("mlserve-api"));
        Adapters adapters = wiring.apply(config, spark);
        ScorerCache models = new ScorerCache(adapters.bundleStore(), bundle -> FastPathScorer.load(spark, bundle), Clock.systemUTC(),
                Duration.ofSeconds(config.latestCheckSeconds()), ScorerCache.DEFAULT_CAPACITY);
        return new PredictionService(models, RoutingPolicy.from(config),
                new BatchSubmitter(adapters.objectStore(), adapters.jobs(), config.modelPrefix()), adapters.jobs(),
                config.publicBaseUrl());
    }
}
