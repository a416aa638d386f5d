package dev.mlserve.local.serve;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * API Gateway's resource matching for the template's {@code Api} events: {@code {name}} matches
 * one path segment, {@code {name+}} the rest of the path; a literal segment wins over a variable,
 * a variable over a greedy one. Methods are upper case; ANY matches every method.
 */
public final class RouteTable {

    /** One route: which function answers {@code method path} (a resource template). */
    public record Route(String function, String method, String path) {
        List<String> segments() {
            return split(path);
        }
    }

    /** A matched route with its decoded path parameters. */
    public record Match(Route route, Map<String, String> pathParameters) {
    }

    private final List<Route> routes;

    public RouteTable(List<Route> routes) {
        this.routes = routes.stream().sorted(Comparator.comparing(RouteTable::specificity).reversed()).toList();
    }

    public List<Route> routes() {
        return routes;
    }

    /** The route for this method and raw (still percent-encoded) path; empty when API Gateway would refuse it. */
    public Optional<Match> match(String method, String rawPath) {
        List<String> segments = split(rawPath);
        for (Route route : routes) {
            if (!route.method().equals("ANY") && !route.method().equals(method)) {
                continue;
            }
            Map<String, String> parameters = bind(route.segments(), segments);
            if (parameters != null) {
                return Optional.of(new Match(route, parameters));
            }
        }
        return Optional.empty();
    }

    private static Map<String, String> bind(List<String> template, List<String> path) {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (int i = 0; i < template.size(); i++) {
            String t = template.get(i);
            if (t.startsWith("{") && t.endsWith("+}")) {
                if (i >= path.size()) {
                    return null;
                }
                List<String> rest = path.subList(i, path.size()).stream().map(RouteTable::decode).toList();
                parameters.put(t.substring(1, t.length() - 2), String.join("/", rest));
                return parameters;
            }
            if (i >= path.size()) {
                return null;
            }
            if (t.startsWith("{") && t.endsWith("}")) {
                parameters.put(t.substring(1, t.length() - 1), decode(path.get(i)));
            } else if (!t.equals(path.get(i))) {
                return null;
            }
        }
        return template.size() == path.size() ? parameters : null;
    }

    /** Literal segments first, then variables, greedy last; longer templates before shorter. */
    private static String specificity(Route route) {
        StringBuilder key = new StringBuilder();
        for (String s : route.segments()) {
            key.append(s.endsWith("+}") ? '1' : s.startsWith("{") ? '2' : '3');
        }
        return key.append(route.method().equals("ANY") ? '0' : '1').toString();
    }

    private static List<String> split(String path) {
        return new ArrayList<>(Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList());
    }

    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment;
        }
    }
}
