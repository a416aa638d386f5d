package dev.mlserve.local.serve;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mlserve.local.lambda.LocalContext;
import dev.mlserve.scoring.api.PredictBody;
import dev.mlserve.scoring.api.Responses;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local API Gateway (REST API, proxy integration) on 127.0.0.1, like {@code sam local start-api}:
 * each request is matched against the template's routes, turned into a proxy event
 * ({@link ProxyRequests}) and handed to the function, which runs one event at a time (a warm
 * container). No route: 403 {@code {"message":"Missing Authentication Token"}}, as API Gateway and
 * SAM answer for an unknown path or a method the path does not have. A handler exception or an
 * answer without a status: 502 {@code {"message":"Internal server error"}}.
 *
 * <p>Being reachable from any web page the user opens, it answers only requests addressed to it:
 * a Host header other than localhost, 127.0.0.1 or [::1] with its port gets 421 (a page on another
 * name that resolves here, DNS rebinding), and a POST that is neither JSON nor CSV gets 415, as the
 * function answers. A body over {@link #MAX_BODY_BYTES} gets 413 without being read, and a client
 * that sends its request too slowly is cut off ({@link #serverDefaults}).
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    static final String MISSING_TOKEN = "{\"message\":\"Missing Authentication Token\"}";
    static final String INTERNAL_ERROR = "{\"message\":\"Internal server error\"}";
    /** API Gateway's payload limit for a REST API: 10 MB. */
    public static final long MAX_BODY_BYTES = 10L * 1024 * 1024;
    /**
     * The JDK HTTP server's settings (read once, when the first server of the JVM is created) that
     * apply unless the user set them: a request's headers and body must arrive within 30 seconds,
     * and an answer must be taken within 30 (both unlimited by default, so a client that sends
     * headers and then nothing held a thread for ever); idle keep-alive connections close after 30
     * seconds (the default, made explicit). And TCP_NODELAY: with Nagle's algorithm on (the
     * default) each answer waits for the client's delayed ACK, about 40 ms (a warm one-record
     * predict measured 44 ms at p50 with it, 0.5 ms without).
     */
    static final Map<String, String> SERVER_DEFAULTS = Map.of(
            "sun.net.httpserver.maxReqTime", "30",
            "sun.net.httpserver.maxRspTime", "30",
            "sun.net.httpserver.idleInterval", "30",
            "sun.net.httpserver.nodelay", "true");

    /** A function answering API events: its name, timeout, memory and handler (one event at a time). */
    public record ApiFunction(String name, int timeoutSeconds, int memoryMb,
                              RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> handler) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final RouteTable routes;
    private final Map<String, ApiFunction> functions;
    private final String stage;
    private final long maxBodyBytes;

    private ApiServer(HttpServer server, ExecutorService executor, RouteTable routes,
                      Map<String, ApiFunction> functions, String stage, long maxBodyBytes) {
        this.server = server;
        this.executor = executor;
        this.routes = routes;
        this.functions = functions;
        this.stage = stage;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** @param port 0 for any free port */
    public static ApiServer start(int port, RouteTable routes, Map<String, ApiFunction> functions, String stage)
            throws IOException {
        return start(port, routes, functions, stage, MAX_BODY_BYTES);
    }

    static ApiServer start(int port, RouteTable routes, Map<String, ApiFunction> functions, String stage,
                           long maxBodyBytes) throws IOException {
        serverDefaults(System.getProperties());
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "mlserve-local-api");
            t.setDaemon(true);
            return t;
        });
        ApiServer api = new ApiServer(server, executor, routes, functions, stage, maxBodyBytes);
        server.createContext("/", api::handle);
        server.setExecutor(executor);
        server.start();
        return api;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** Sets each of {@link #SERVER_DEFAULTS} the user has not set. */
    static void serverDefaults(Properties properties) {
        SERVER_DEFAULTS.forEach(properties::putIfAbsent);
    }

    private void handle(HttpExchange exchange) throws IOException {
        long started = System.nanoTime();
        int status;
        try (exchange) {
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            String rawPath = exchange.getRequestURI().getRawPath();
            String host = exchange.getRequestHeaders().getFirst("Host");
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            Optional<RouteTable.Match> match = routes.match(method, rawPath);
            byte[] body;
            if (!isLocalHost(host)) {
                status = message(exchange, 421, (host == null ? "the request has no Host"
                        : "Host '" + Violation.shown(host) + "' is not this server")
                        + "; use localhost, 127.0.0.1 or [::1] with port " + port());
            } else if (match.isEmpty()) {
                status = write(exchange, 403, Map.of("Content-Type", List.of("application/json"),
                        "x-amzn-ErrorType", List.of("MissingAuthenticationTokenException")), bytes(MISSING_TOKEN));
            } else if (method.equals("POST") && !PredictBody.isAcceptedContentType(contentType)) {
                status = write(exchange, 415, Map.of("Content-Type", List.of("application/json")),
                        json(Responses.error(PredictBody.unsupportedContentType(contentType), List.of(),
                                "local-" + UUID.randomUUID())));
            } else if ((body = boundedBody(exchange)) == null) {
                status = message(exchange, 413, "request body is over the local API's limit of " + maxBodyBytes
                        + " bytes");
            } else {
                ApiFunction function = functions.get(match.get().route().function());
                APIGatewayProxyRequestEvent event = ProxyRequests.build(new ProxyRequests.HttpRequest(method, rawPath,
                        exchange.getRequestURI().getRawQuery(), headers(exchange), body,
                        exchange.getRemoteAddress().getAddress().getHostAddress()), match.get(), stage);
                status = answer(exchange, function, event);
            }
        } catch (RuntimeException e) {
            LOG.error("request failed", e);
            throw e;
        }
        LOG.info("{} {} -> {} ms={}", exchange.getRequestMethod(), exchange.getRequestURI(), status,
                (System.nanoTime() - started) / 1_000_000);
    }

    private int answer(HttpExchange exchange, ApiFunction function, APIGatewayProxyRequestEvent event)
            throws IOException {
        APIGatewayProxyResponseEvent response;
        try {
            synchronized (function) {
                response = function.handler().handleRequest(event, new LocalContext(function.name(),
                        function.timeoutSeconds(), function.memoryMb(), System.err));
            }
        } catch (RuntimeException e) {
            LOG.error("{} threw; answering 502 as API Gateway does", function.name(), e);
            return write(exchange, 502, Map.of("Content-Type", List.of("application/json")), bytes(INTERNAL_ERROR));
        }
        if (response == null || response.getStatusCode() == null) {
            LOG.error("{} answered no statusCode: not a proxy response; answering 502", function.name());
            return write(exchange, 502, Map.of("Content-Type", List.of("application/json")), bytes(INTERNAL_ERROR));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (response.getMultiValueHeaders() != null) {
            headers.putAll(response.getMultiValueHeaders());
        }
        if (response.getHeaders() != null) {
            response.getHeaders().forEach((k, v) -> headers.put(k, List.of(v)));
        }
        if (headers.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("Content-Type"))) {
            headers.put("Content-Type", List.of("application/json"));
        }
        String text = response.getBody();
        byte[] body = text == null ? new byte[0]
                : Boolean.TRUE.equals(response.getIsBase64Encoded()) ? Base64.getDecoder().decode(text) : bytes(text);
        return write(exchange, response.getStatusCode(), headers, body);
    }

    /**
     * True for a Host naming this server: localhost, 127.0.0.1 or [::1] (any letter case), with
     * this server's port (or none when it listens on 80).
     */
    boolean isLocalHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        String suffix = ":" + port();
        String name = h.endsWith(suffix) ? h.substring(0, h.length() - suffix.length())
                : port() == 80 ? h : null;
        return name != null && (name.equals("localhost") || name.equals("[::1]")
                || name.equals(server.getAddress().getAddress().getHostAddress()));
    }

    /**
     * The request body, or null when it is over the limit: a declared Content-Length over it is
     * refused before anything is read, a chunked body once one byte more than the limit arrived.
     */
    private byte[] boundedBody(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > maxBodyBytes) {
                    return null;
                }
            } catch (NumberFormatException e) {
                // Not a number: the read below stays bounded whatever the body is.
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            return body.length > maxBodyBytes ? null : body;
        }
    }

    /** The request's headers plus the forwarding headers SAM's local API adds. */
    private Map<String, List<String>> headers(HttpExchange exchange) {
        Map<String, List<String>> headers = new LinkedHashMap<>(exchange.getRequestHeaders());
        headers.putIfAbsent("X-Forwarded-Proto", List.of("http"));
        headers.putIfAbsent("X-Forwarded-Port", List.of(Integer.toString(port())));
        return headers;
    }

    private static int write(HttpExchange exchange, int status, Map<String, List<String>> headers, byte[] body)
            throws IOException {
        Headers out = exchange.getResponseHeaders();
        headers.forEach((k, v) -> out.put(k, List.copyOf(v)));
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(body);
            }
        }
        return status;
    }

    /** An answer of the gateway itself, {@code {"message": ...}} as API Gateway words its own. */
    private static int message(HttpExchange exchange, int status, String message) throws IOException {
        return write(exchange, status, Map.of("Content-Type", List.of("application/json")),
                json(Map.of("message", message)));
    }

    private static byte[] json(Object value) {
        try {
            return Json.MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
