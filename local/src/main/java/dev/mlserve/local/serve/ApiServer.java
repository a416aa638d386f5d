package dev.mlserve.local.serve;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mlserve.local.lambda.LocalContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    static final String MISSING_TOKEN = "{\"message\":\"Missing Authentication Token\"}";
    static final String INTERNAL_ERROR = "{\"message\":\"Internal server error\"}";

    /** A function answering API events: its name, timeout, memory and handler (one event at a time). */
    public record ApiFunction(String name, int timeoutSeconds, int memoryMb,
                              RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> handler) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final RouteTable routes;
    private final Map<String, ApiFunction> functions;
    private final String stage;

    private ApiServer(HttpServer server, ExecutorService executor, RouteTable routes,
                      Map<String, ApiFunction> functions, String stage) {
        this.server = server;
        this.executor = executor;
        this.routes = routes;
        this.functions = functions;
        this.stage = stage;
    }

    /** @param port 0 for any free port */
    public static ApiServer start(int port, RouteTable routes, Map<String, ApiFunction> functions, String stage)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "mlserve-local-api");
            t.setDaemon(true);
            return t;
        });
        ApiServer api = new ApiServer(server, executor, routes, functions, stage);
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

    private void handle(HttpExchange exchange) throws IOException {
        long started = System.nanoTime();
        int status;
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            String rawPath = exchange.getRequestURI().getRawPath();
            Optional<RouteTable.Match> match = routes.match(method, rawPath);
            if (match.isEmpty()) {
                status = write(exchange, 403, Map.of("Content-Type", List.of("application/json"),
                        "x-amzn-ErrorType", List.of("MissingAuthenticationTokenException")), bytes(MISSING_TOKEN));
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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
