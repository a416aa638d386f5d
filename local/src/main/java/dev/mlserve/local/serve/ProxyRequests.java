package dev.mlserve.local.serve;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent.ProxyRequestContext;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent.RequestIdentity;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * API Gateway REST (v1) proxy events for requests to the local server, shaped like the events
 * API Gateway and {@code sam local start-api} send: resource and path, single- and multi-value
 * headers and query parameters (the single-value maps keep the last value), path parameters,
 * a request context (request id, stage, method, resource path, source IP), and the body as text,
 * or base64 with {@code isBase64Encoded} when the content type is not a text type.
 */
public final class ProxyRequests {
    private ProxyRequests() {
    }

    /** One HTTP request as the server received it; the path and query still percent-encoded. */
    public record HttpRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers,
                              byte[] body, String sourceIp) {
    }

    public static APIGatewayProxyRequestEvent build(HttpRequest request, RouteTable.Match match, String stage) {
        Map<String, String> headers = new LinkedHashMap<>();
        Map<String, List<String>> multiHeaders = new LinkedHashMap<>();
        request.headers().forEach((name, values) -> {
            if (!values.isEmpty()) {
                headers.put(name, values.get(values.size() - 1));
                multiHeaders.put(name, List.copyOf(values));
            }
        });
        Map<String, List<String>> multiQuery = query(request.rawQuery());
        Map<String, String> query = new LinkedHashMap<>();
        multiQuery.forEach((k, v) -> query.put(k, v.get(v.size() - 1)));

        ProxyRequestContext context = new ProxyRequestContext()
                .withAccountId("123456789012")
                .withApiId("local")
                .withResourceId("local")
                .withStage(stage)
                .withRequestId(UUID.randomUUID().toString())
                .withHttpMethod(request.method())
                .withResourcePath(match.route().path())
                .withPath(request.rawPath())
                .withProtocol("HTTP/1.1")
                .withIdentity(new RequestIdentity().withSourceIp(request.sourceIp())
                        .withUserAgent(headers.entrySet().stream()
                                .filter(e -> e.getKey().equalsIgnoreCase("User-Agent"))
                                .map(Map.Entry::getValue).findFirst().orElse(null)))
                .withRequestTimeEpoch(System.currentTimeMillis());

        APIGatewayProxyRequestEvent event = new APIGatewayProxyRequestEvent()
                .withResource(match.route().path())
                .withPath(request.rawPath())
                .withHttpMethod(request.method())
                .withHeaders(headers)
                .withMultiValueHeaders(multiHeaders)
                .withQueryStringParameters(query.isEmpty() ? null : query)
                .withMultiValueQueryStringParameters(multiQuery.isEmpty() ? null : multiQuery)
                .withPathParameters(match.pathParameters().isEmpty() ? null : match.pathParameters())
                .withRequestContext(context);
        byte[] body = request.body();
        if (body == null || body.length == 0) {
            return event.withIsBase64Encoded(false);
        }
        String text = isText(headers) ? utf8(body) : null;
        return text != null
                ? event.withBody(text).withIsBase64Encoded(false)
                : event.withBody(Base64.getEncoder().encodeToString(body)).withIsBase64Encoded(true);
    }

    /** JSON, XML, form and text/* bodies are passed as text; anything else (or invalid UTF-8) as base64. */
    static boolean isText(Map<String, String> headers) {
        String type = headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("Content-Type"))
                .map(Map.Entry::getValue).findFirst().orElse("").toLowerCase(Locale.ROOT);
        String mime = type.split(";", 2)[0].strip();
        return mime.isEmpty() || mime.startsWith("text/") || mime.equals("application/json")
                || mime.endsWith("+json") || mime.equals("application/x-ndjson") || mime.equals("application/xml")
                || mime.endsWith("+xml") || mime.equals("application/x-www-form-urlencoded")
                || mime.equals("application/javascript");
    }

    private static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static Map<String, List<String>> query(String rawQuery) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return values;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return values;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}
