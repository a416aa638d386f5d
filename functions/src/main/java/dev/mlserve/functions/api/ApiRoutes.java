package dev.mlserve.functions.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The API's routes. A request is matched by API Gateway's resource template and path parameters
 * when the event carries them (REST v1 proxy events do), else by the raw path's last segments (a
 * greedy {@code /{proxy+}} resource, or a path behind a stage or base path).
 */
public final class ApiRoutes {

    public enum Endpoint {
        PREDICT("POST", "/models/{model}/predict", "model"),
        MODEL("GET", "/models/{model}", "model"),
        JOB("GET", "/jobs/{jobId}", "jobId");

        private final String method;
        private final String template;
        private final String parameter;

        Endpoint(String method, String template, String parameter) {
            this.method = method;
            this.template = template;
            this.parameter = parameter;
        }

        public String method() {
            return method;
        }

        public String template() {
            return template;
        }
    }

    /** A matched route and its one path parameter (model name or job id, not yet validated). */
    public record Match(Endpoint endpoint, String id) {
    }

    private ApiRoutes() {
    }

    /**
     * @throws NotFoundException when no route has this path
     * @throws MethodNotAllowedException when the route exists for another method
     */
    public static Match match(ApiRequest request) {
        Match match = byResource(request.resource(), request.pathParameters(), request.path());
        if (match == null) {
            match = byPath(request.path());
        }
        if (match == null) {
            throw new NotFoundException("no route for " + request.method() + " " + request.path()
                    + " (routes: POST /models/{model}/predict, GET /models/{model}, GET /jobs/{jobId})");
        }
        Endpoint e = match.endpoint();
        if (!e.method().equals(request.method())) {
            throw new MethodNotAllowedException(request.method() + " is not allowed on " + e.template() + "; use "
                    + e.method(), e.method());
        }
        return match;
    }

    private static Match byResource(String resource, Map<String, String> parameters, String path) {
        for (Endpoint e : Endpoint.values()) {
            if (e.template().equals(resource)) {
                String id = parameters.get(e.parameter);
                if (id != null) {
                    return new Match(e, id);
                }
                return byPath(path);
            }
        }
        return null;
    }

    private static Match byPath(String path) {
        if (path == null) {
            return null;
        }
        List<String> s = Arrays.stream(path.split("/")).filter(p -> !p.isEmpty()).toList();
        int n = s.size();
        if (n >= 3 && s.get(n - 3).equals("models") && s.get(n - 1).equals("predict")) {
            return new Match(Endpoint.PREDICT, decode(s.get(n - 2)));
        }
        if (n >= 2 && s.get(n - 2).equals("models")) {
            return new Match(Endpoint.MODEL, decode(s.get(n - 1)));
        }
        if (n >= 2 && s.get(n - 2).equals("jobs")) {
            return new Match(Endpoint.JOB, decode(s.get(n - 1)));
        }
        return null;
    }

    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment; // left as is; name validation refuses it
        }
    }
}
