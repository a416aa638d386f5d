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
import dev.mlserve.scoring.fast.ScorerProvider;
import dev.mlserve.scoring.score.ModelFailures;
import dev.mlserve.scoring.score.Scorer;
import dev.mlserve.scoring.spark.SessionStart;
import dev.mlserve.scoring.spark.SparkSettings;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;

/**
 * The API Lambda (API Gateway REST API, v1 proxy events): {@code POST /models/{model}/predict},
 * {@code GET /models/{model}}, {@code GET /jobs/{jobId}}. Parses the event, calls
 * {@link PredictionService}, maps the answer or the typed failure to a response.
 */
public final class PredictHandler implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(PredictHandler.class);

    /** The real wiring: AWS adapters need no session (built while Spark starts); local ones run jobs on it. */
    public static final BiFunction<FunctionConfig, Supplier<SparkSession>, Adapters> STANDARD_WIRING =
            (config, spark) -> config.isAws() ? Adapters.aws(config) : Adapters.local(config, spark);

    private final PredictionService service;
    private final RequestTelemetry telemetry;
    private final SnapStartPriming priming;

    /**
     * What Lambda calls: everything built once per container (adapters, the models of
     * {@code MLSERVE_PRELOAD_MODELS}), a model that cannot be loaded failing the init; the
     * SparkSession starts beside the first requests (see {@link #create}). Registers the SnapStart
     * hooks, whose priming waits for the session so a snapshot holds it up.
     */
    public PredictHandler() {
        this(FunctionConfig.fromEnv(), STANDARD_WIRING, RequestTelemetry.standard(System.out));
    }

    private PredictHandler(FunctionConfig config, BiFunction<FunctionConfig, Supplier<SparkSession>, Adapters> wiring,
                           RequestTelemetry telemetry) {
        SessionStart spark = SessionStart.of(SparkSettings.defaults("mlserve-api"));
        this.service = create(config, wiring, spark);
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.priming = new SnapStartPriming(this, service.models(), config.preloadModels(), spark);
        org.crac.Core.getGlobalContext().register(priming);
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
        return new PredictHandler(create(config, (c, spark) -> adapters, SessionStart.of(SparkSettings.defaults(
                "mlserve-api"))), RequestTelemetry.standard(System.out));
    }

    PredictHandler(PredictionService service, RequestTelemetry telemetry) {
        this.service = Objects.requireNonNull(service, "service");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.priming = null;
    }

    /**
     * The handler exactly as Lambda builds it, from a given configuration instead of the
     * environment: for the local runner and the benchmark ({@code bench}), which drive it with API
     * events in the same JVM. Pass {@link #STANDARD_WIRING} for the real adapters.
     */
    public static PredictHandler forConfig(FunctionConfig config,
                                           BiFunction<FunctionConfig, Supplier<SparkSession>, Adapters> wiring,
                                           RequestTelemetry telemetry) {
        return new PredictHandler(config, wiring, telemetry);
    }

    /**
     * Waits until every loaded model's fast path has been checked against {@code transform} (those
     * read from a pipeline snapshot check in the background); for the bench and readiness probes.
     *
     * @return each loaded model's fast-path status, by "model/version"
     */
    public Map<String, String> awaitModelChecks(Duration timeout) {
        Map<String, String> statuses = new LinkedHashMap<>();
        for (Scorer scorer : service.models().loaded()) {
            String key = scorer.metadata().name() + "/" + scorer.metadata().version();
            statuses.put(key, scorer instanceof FastPathScorer fast
                    ? fast.awaitVerification(timeout) : "fast path not used");
        }
        return statuses;
    }

    /** The SnapStart hooks of a handler built from configuration (null for the test constructor). */
    SnapStartPriming priming() {
        return priming;
    }

    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        long started = System.nanoTime();
        String requestId = ApiEvents.requestId(event, context);
        RequestFacts facts = new RequestFacts(requestId, event.getHttpMethod(), event.getPath());
        ApiResponse response;
        try {
            response = service.handle(ApiEvents.toRequest(event, requestId), facts);
        } catch (Exception e) { // a checked SparkException can escape Scala code that javac does not see
            response = failure(e, requestId);
        }
        telemetry.record(facts, response.status(), (System.nanoTime() - started) / 1_000_000, response.error(),
                (int) Math.min(response.rejectedRecords(), Integer.MAX_VALUE));
        return ApiEvents.toEvent(response);
    }

    /** What a caller is told to wait when the bucket (or EMR) answers a fault that passes. */
    static final int UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

    /**
     * The one place failures become HTTP statuses. A caller's mistake (400, 404, 405, 413) is told
     * what was wrong; a fault never is: neither its message (S3 keys, bucket names, SDK and EMR
     * messages) nor its type or stack trace reaches the caller, only a generic error with the
     * request id, and the whole exception goes to the function's log under that id.
     *
     * <ul>
     *   <li>503 with {@code Retry-After}: the fault passes by itself, so retrying is the caller's
     *       remedy: EMR Serverless throttling ({@link ThrottledException}, after the launcher's own
     *       retries), or the bucket or EMR throttling, answering a 5xx or unreachable (after the
     *       SDK's own retries), e.g. while {@code GET /jobs/{jobId}} reads the job's record, its
     *       result's manifest or its run's state;</li>
     *   <li>500: any other fault (access denied, a corrupt record, a bug): retrying does not help.</li>
     * </ul>
     */
    static ApiResponse failure(Exception e, String requestId) {
        if (e instanceof BadInputException b) {
            return failed(400, Responses.error(b, requestId), Map.of(), b.getMessage(), b.invalidRecords());
        }
        if (e instanceof ModelNotFoundException || e instanceof NotFoundException) {
            return failed(404, e.getMessage(), requestId);
        }
        if (e instanceof MethodNotAllowedException m) {
            return failed(405, Responses.error(e.getMessage(), List.of(), requestId), Map.of("Allow", m.allowed()),
                    e.getMessage(), 0);
        }
        if (e instanceof RequestTooLargeException) {
            return failed(413, e.getMessage(), requestId);
        }
        if (e instanceof UnsupportedMediaTypeException) {
            return failed(415, e.getMessage(), requestId);
        }
        if (e instanceof IdempotencyConflictException) {
            return failed(422, e.getMessage(), requestId);
        }
        Optional<String> row = ModelFailures.rowFailure(e);
        if (row.isPresent()) {
            // Spark's own code refused a record (a checked SparkException from its UDFs): the caller's data
            String error = "the model cannot score a record: " + row.get();
            return failed(400, Responses.error(error, List.of(), requestId), Map.of(), error, 0);
        }
        if (e instanceof ThrottledException t) {
            LOG.warn("request {} answered 503: the batch backend is throttling", requestId, e);
            String error = "the batch backend is busy; try again in " + t.retryAfterSeconds() + " seconds";
            return failed(503, Responses.error(error, List.of(), requestId),
                    Map.of("Retry-After", Integer.toString(t.retryAfterSeconds())), error, 0);
        }
        if (passingFault(e)) {
            LOG.warn("request {} answered 503: a backing service is throttling or unavailable", requestId, e);
            String error = "the service is temporarily unavailable; try again in " + UNAVAILABLE_RETRY_AFTER_SECONDS
                    + " seconds";
            return failed(503, Responses.error(error, List.of(), requestId),
                    Map.of("Retry-After", Integer.toString(UNAVAILABLE_RETRY_AFTER_SECONDS)), error, 0);
        }
        LOG.error("request {} failed", requestId, e);
        Map<String, Object> body = Responses.error(e, requestId);
        return failed(500, body, Map.of(), String.valueOf(body.get("error")), 0);
    }

    private static ApiResponse failed(int status, String error, String requestId) {
        return failed(status, Responses.error(error, List.of(), requestId), Map.of(), error, 0);
    }

    private static ApiResponse failed(int status, Map<String, Object> body, Map<String, String> headers, String error,
                                      long rejected) {
        return new ApiResponse(status, body, headers, error, rejected);
    }

    /**
     * Whether a fault passes by itself: an AWS service (S3, EMR Serverless) throttling or answering
     * 5xx, an SDK call that timed out, or a connection that failed; found anywhere in the cause
     * chain, as the store's adapters wrap what they cannot handle. Access denied and other 4xx
     * answers are not passing.
     */
    static boolean passingFault(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof AwsServiceException service) {
                return service.isThrottlingException() || service.statusCode() == 429 || service.statusCode() >= 500;
            }
            if (t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException
                    || t instanceof SocketException || t instanceof SocketTimeoutException
                    || t instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }


    /**
     * Wires the real collaborators from configuration. The preloaded models' bundles are fetched
     * (an S3 download in AWS) and their pipeline snapshots read (see {@code PipelineSnapshot}, which
     * needs no session); then the SparkSession starts on its own thread and the function is ready
     * without waiting for it: a model read from its snapshot answers on the fast path at once, and
     * only what needs Spark (a bundle without a usable snapshot, a request the fast path hands to
     * {@code transform}, the background check against it) waits for the session.
     */
    static PredictionService create(FunctionConfig config,
                                    BiFunction<FunctionConfig, Supplier<SparkSession>, Adapters> wiring) {
        return create(config, wiring, SessionStart.of(SparkSettings.defaults("mlserve-api")));
    }

    static PredictionService create(FunctionConfig config,
                                    BiFunction<FunctionConfig, Supplier<SparkSession>, Adapters> wiring,
                                    SessionStart spark) {
        long start = System.nanoTime();
        Adapters adapters = wiring.apply(config, spark);
        ScorerProvider scorers = new ScorerProvider(spark);
        ScorerCache models = new ScorerCache(adapters.bundleStore(), scorers::scorer,
                Clock.systemUTC(), Duration.ofSeconds(config.latestCheckSeconds()), ScorerCache.DEFAULT_CAPACITY);
        List<String> versions = config.preloadModels().stream()
                .map(model -> models.prefetch(model, models.resolveVersion(model, null)))
                .toList();
        for (int i = 0; i < versions.size(); i++) {
            models.scorer(config.preloadModels().get(i), versions.get(i));
        }
        // Started after the snapshots are read, so reading them has the CPU to itself.
        spark.start();
        LOG.info("api function ready: preloaded={} spark={} ms={}", config.preloadModels(),
                spark.isReady() ? "up" : "starting", (System.nanoTime() - start) / 1_000_000);
        return new PredictionService(models, RoutingPolicy.from(config),
                new BatchSubmitter(adapters.objectStore(), adapters.jobs(), config.modelPrefix()), adapters.jobs(),
                config.publicBaseUrl());
    }
}
