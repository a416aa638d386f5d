package dev.mlserve.functions.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** API Gateway REST (v1 proxy) events to {@link ApiRequest}, and {@link ApiResponse} back. */
public final class ApiEvents {
    public static final String JSON = "application/json";

    private ApiEvents() {
    }

    /** The Lambda request id; outside Lambda the API Gateway one, else a generated one. */
    public static String requestId(APIGatewayProxyRequestEvent event, Context context) {
        if (context != null && context.getAwsRequestId() != null) {
            return context.getAwsRequestId();
        }
        if (event.getRequestContext() != null && event.getRequestContext().getRequestId() != null) {
            return event.getRequestContext().getRequestId();
        }
        return "local-" + UUID.randomUUID();
    }

    /**
     * @throws BadInputException when a base64 body does not decode
     */
    public static ApiRequest toRequest(APIGatewayProxyRequestEvent event, String requestId) {
        Map<String, String> headers = new HashMap<>();
        if (event.getHeaders() != null) {
            event.getHeaders().forEach((k, v) -> {
                if (k != null && v != null) {
                    headers.put(k.toLowerCase(Locale.ROOT), v);
                }
            });
        }
        String body = event.getBody();
        long bytes;
        if (body != null && Boolean.TRUE.equals(event.getIsBase64Encoded())) {
            byte[] decoded = decode(body);
            bytes = decoded.length;
            body = new String(decoded, StandardCharsets.UTF_8);
        } else {
            bytes = body == null ? 0 : body.getBytes(StandardCharsets.UTF_8).length;
        }
        return new ApiRequest(event.getHttpMethod(), event.getResource(), event.getPath(),
                withoutNulls(event.getPathParameters()), withoutNulls(event.getQueryStringParameters()), headers, body,
                bytes, requestId, baseUrl(event, headers));
    }

    public static APIGatewayProxyResponseEvent toEvent(ApiResponse response) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", JSON);
        headers.putAll(response.headers());
        String body;
        try {
            body = Json.MAPPER.writeValueAsString(response.body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("answer is not serialisable as JSON", e);
        }
        return new APIGatewayProxyResponseEvent()
                .withStatusCode(response.status())
                .withHeaders(headers)
                .withBody(body)
                .withIsBase64Encoded(false);
    }

    /**
     * The public base URL of the API as the caller used it: scheme from {@code X-Forwarded-Proto}
     * (default https), host from {@code Host} (else the request context's domain name), and the
     * path prefix API Gateway adds in front of the resource path (the stage, or a custom domain's
     * base path): the request context's path minus the event's path.
     */
    static String baseUrl(APIGatewayProxyRequestEvent event, Map<String, String> headers) {
        APIGatewayProxyRequestEvent.ProxyRequestContext rc = event.getRequestContext();
        String host = headers.get("host");
        if (host == null && rc != null) {
            host = rc.getDomainName();
        }
        if (host == null || host.isBlank()) {
            return null;
        }
        String scheme = headers.getOrDefault("x-forwarded-proto", "https");
        String prefix = "";
        String path = event.getPath();
        if (rc != null && rc.getPath() != null && path != null && rc.getPath().endsWith(path)) {
            prefix = rc.getPath().substring(0, rc.getPath().length() - path.length());
        }
        return scheme + "://" + host + (prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
    }

    private static byte[] decode(String body) {
        try {
            return Base64.getDecoder().decode(body.strip());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("request body is not valid base64",
                    List.of(new Violation(-1, null, "isBase64Encoded is true but the body does not decode: "
                            + e.getMessage())));
        }
    }

    private static Map<String, String> withoutNulls(Map<String, String> map) {
        if (map == null) {
            return Map.of();
        }
        Map<String, String> copy = new HashMap<>();
        map.forEach((k, v) -> {
            if (k != null && v != null) {
                copy.put(k, v);
            }
        });
        return copy;
    }

    /** A {@code POST /models/{model}/predict} proxy event with a JSON body (priming, benchmarks). */
    public static APIGatewayProxyRequestEvent predictEvent(String model, String body) {
        return new APIGatewayProxyRequestEvent()
                .withHttpMethod("POST")
                .withPath("/models/" + model + "/predict")
                .withResource("/models/{model}/predict")
                .withPathParameters(Map.of("model", model))
                .withHeaders(Map.of("Content-Type", "application/json"))
                .withBody(body);
    }
}
