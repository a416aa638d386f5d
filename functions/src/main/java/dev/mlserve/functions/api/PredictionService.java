package dev.mlserve.functions.api;

import dev.mlserve.functions.api.ApiRoutes.Match;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.routing.RouteDecision;
import dev.mlserve.functions.routing.RoutingPolicy;
import dev.mlserve.functions.telemetry.RequestFacts;
import dev.mlserve.scoring.api.PredictBody;
import dev.mlserve.scoring.api.Responses;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.schema.TypedRecords;
import dev.mlserve.scoring.score.Scorer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The API behind the Lambda handler, free of Lambda types: {@code POST /models/{model}/predict}
 * (inline or batch, as {@link RoutingPolicy} decides), {@code GET /models/{model}} and
 * {@code GET /jobs/{jobId}}. Failures are thrown as typed exceptions; the handler maps them.
 */
public final class PredictionService {
    public static final String ROUTE_HEADER = "X-Mlserve-Route";
    public static final String ROUTE_REASON_HEADER = "X-Mlserve-Route-Reason";
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final ScorerCache models;
    private final RoutingPolicy routing;
    private final BatchSubmitter batch;
    private final Jobs jobs;
    private final String publicBaseUrl;

    /**
     * @param publicBaseUrl the API's public URL for status links, or null to derive it per request
     */
    public PredictionService(ScorerCache models, RoutingPolicy routing, BatchSubmitter batch, Jobs jobs,
                             String publicBaseUrl) {
        this.models = Objects.requireNonNull(models, "models");
        this.routing = Objects.requireNonNull(routing, "routing");
        this.batch = Objects.requireNonNull(batch, "batch");
        this.jobs = Objects.requireNonNull(jobs, "jobs");
        this.publicBaseUrl = publicBaseUrl == null || publicBaseUrl.isBlank() ? null
                : publicBaseUrl.strip().replaceAll("/+$", "");
    }

    /** The container's models (the SnapStart hooks prime and refresh them). */
    ScorerCache models() {
        return models;
    }

    public ApiResponse handle(ApiRequest request, RequestFacts facts) {
        Match match = ApiRoutes.match(request);
        facts.resource(match.endpoint().template());
        return switch (match.endpoint()) {
            case PREDICT -> predict(match.id(), request, facts);
            case MODEL -> describe(match.id(), facts);
            case JOB -> job(match.id(), facts);
        };
    }

    ApiResponse predict(String model, ApiRequest request, RequestFacts facts) {
        facts.model(BundleFiles.requireSegment("model", model)).bytes(request.bodyBytes());
        routing.admit(request.bodyBytes());
        String contentType = request.header("Content-Type");
        if (!PredictBody.isAcceptedContentType(contentType)) {
            throw new UnsupportedMediaTypeException(PredictBody.unsupportedContentType(contentType));
        }
        PredictBody body = withQuery(PredictBody.parse(request.body(), contentType), request);
        facts.records(body.records().size()).format(body.format());
        RouteDecision decision = routing.decide(body.records().size(), request.bodyBytes());
        facts.route(decision.route().wireName());
        String version = models.resolveVersion(model, body.version());
        facts.version(version);
        BundleMetadata metadata = models.metadata(model, version);
        TypedRecords records = body.validated(metadata.inputSchema());
        return decision.inline()
                ? inline(model, version, records, body.outputs(), decision, facts)
                : batch(model, version, records, body.outputs(), metadata, decision, request, facts);
    }

    private ApiResponse inline(String model, String version, TypedRecords records, List<String> outputs,
                               RouteDecision decision, RequestFacts facts) {
        Scorer scorer = models.scorer(model, version);
        List<Map<String, Object>> predictions = scorer.predict(records, outputs);
        facts.scored(predictions.size());
        Map<String, Object> body = new LinkedHashMap<>(Responses.predictions(scorer.metadata(), predictions));
        return new ApiResponse(200, withRoute(body, decision), routeHeaders(decision, Map.of()));
    }

    private ApiResponse batch(String model, String version, TypedRecords records, List<String> outputs,
                              BundleMetadata metadata, RouteDecision decision, ApiRequest request,
                              RequestFacts facts) {
        requireBatchOutputs(outputs, metadata);
        JobStatus status = batch.submit(model, version, records.jsonRecords(), decision,
                request.header(BatchSubmitter.IDEMPOTENCY_HEADER));
        facts.jobId(status.jobId()).batched(records.size());
        String statusUrl = statusUrl(request, status.jobId());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", status.jobId());
        body.put("state", status.state());
        body.put("statusUrl", statusUrl);
        body.put("output", status.output());
        body.put("model", model);
        body.put("version", version);
        body.put("outputs", metadata.outputs());
        return new ApiResponse(202, withRoute(body, decision), routeHeaders(decision, Map.of("Location", statusUrl)));
    }

    ApiResponse describe(String model, RequestFacts facts) {
        facts.model(BundleFiles.requireSegment("model", model));
        List<String> versions = models.versions(model);
        String current = models.resolveVersion(model, null);
        facts.version(current);
        BundleMetadata m = models.metadata(model, current);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", m.name());
        body.put("versions", versions);
        body.put("currentVersion", current);
        body.put("sparkVersion", m.sparkVersion());
        body.put("createdAt", m.createdAt());
        body.put("inputSchema", m.inputSchema());
        body.put("outputs", m.outputs());
        body.put("metrics", m.metrics());
        return ApiResponse.of(200, body);
    }

    ApiResponse job(String jobId, RequestFacts facts) {
        if (jobId == null || !JOB_ID.matcher(jobId).matches() || jobId.contains("..")) {
            throw new NotFoundException("unknown job: not a valid job id");
        }
        JobStatus s = jobs.status(jobId).orElseThrow(() -> new NotFoundException("unknown job '" + jobId + "'"));
        facts.jobId(jobId).model(s.model()).version(s.version());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", s.jobId());
        body.put("state", s.state());
        body.put("model", s.model());
        body.put("version", s.version());
        body.put("output", s.output());
        body.put("route", RouteDecision.Route.BATCH.wireName());
        body.put("routeReason", s.routeReason());
        putIfPresent(body, "rowsIn", s.rowsIn());
        putIfPresent(body, "rowsScored", s.rowsScored());
        putIfPresent(body, "rowsRejected", s.rowsRejected());
        putIfPresent(body, "error", s.error());
        return ApiResponse.of(200, body);
    }

    /**
     * A batch job writes the bundle's outputs: a selection inside them is served (the result has
     * more columns), a column beyond them is refused rather than silently left out.
     */
    private static void requireBatchOutputs(List<String> requested, BundleMetadata metadata) {
        List<String> missing = requested.stream().filter(o -> !metadata.outputs().contains(o)).toList();
        if (!missing.isEmpty()) {
            throw new BadInputException("output column not available on the batch route", missing.stream()
                    .map(o -> new Violation(-1, "outputs", "'" + Violation.shown(o) + "' is only answered inline; batch results carry"
                            + " the bundle's outputs (" + String.join(", ", metadata.outputs()) + ")"))
                    .toList());
        }
    }

    /** {@code ?version=} and {@code ?outputs=a,b} apply when the body does not set them (CSV bodies). */
    private static PredictBody withQuery(PredictBody body, ApiRequest request) {
        String version = request.query("version");
        String outputs = request.query("outputs");
        if (version == null && outputs == null) {
            return body;
        }
        List<String> queryOutputs = outputs == null ? List.of()
                : Arrays.stream(outputs.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (version != null && body.version() != null && !version.equals(body.version())
                || !queryOutputs.isEmpty() && !body.outputs().isEmpty() && !queryOutputs.equals(body.outputs())) {
            throw new BadInputException("request is malformed", List.of(new Violation(-1, null,
                    "the query string and the body ask for different versions or outputs")));
        }
        return body.with(body.version() != null ? body.version() : version,
                body.outputs().isEmpty() ? queryOutputs : body.outputs());
    }

    private String statusUrl(ApiRequest request, String jobId) {
        String base = publicBaseUrl != null ? publicBaseUrl : request.baseUrl();
        return (base == null ? "" : base) + "/jobs/" + jobId;
    }

    private static Map<String, Object> withRoute(Map<String, Object> body, RouteDecision decision) {
        body.put("route", decision.route().wireName());
        body.put("routeReason", decision.reason());
        return body;
    }

    private static Map<String, String> routeHeaders(RouteDecision decision, Map<String, String> more) {
        Map<String, String> headers = new LinkedHashMap<>(more);
        headers.put(ROUTE_HEADER, decision.route().wireName());
        headers.put(ROUTE_REASON_HEADER, decision.reason());
        return headers;
    }

    private static void putIfPresent(Map<String, Object> body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }
}
