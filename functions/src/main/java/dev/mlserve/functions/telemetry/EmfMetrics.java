package dev.mlserve.functions.telemetry;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.scoring.json.Json;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * CloudWatch metrics in the embedded metric format: one JSON line on stdout per request, which
 * Lambda ships to CloudWatch Logs and CloudWatch turns into metrics, with no API call and no
 * extra dependency. (Powertools' metrics module was considered and not used: docs/routing.md,
 * "Observability".)
 *
 * <pre>{"_aws": {"Timestamp": ..., "CloudWatchMetrics": [{"Namespace": "mlserve",
 *   "Dimensions": [["Route"]], "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}, ...]}]},
 *  "Route": "inline", "Latency": 41, ..., "requestId": "...", "model": "churn", "status": 200}</pre>
 */
public final class EmfMetrics {
    public static final String NAMESPACE = "mlserve";

    private final PrintStream out;
    private final Clock clock;
    private final String namespace;

    public EmfMetrics(PrintStream out, Clock clock, String namespace) {
        this.out = Objects.requireNonNull(out, "out");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
    }

    /** One metric value with its CloudWatch unit ("Milliseconds", "Count"). */
    public record Metric(String name, String unit, Number value) {
    }

    /**
     * Writes one EMF line.
     *
     * @param dimensions few, low-cardinality values (they become metric dimensions)
     * @param properties anything else worth searching in Logs Insights (not metrics)
     */
    public void emit(Map<String, String> dimensions, List<Metric> metrics, Map<String, Object> properties) {
        List<Map<String, String>> definitions = new ArrayList<>();
        for (Metric m : metrics) {
            definitions.add(Map.of("Name", m.name(), "Unit", m.unit()));
        }
        Map<String, Object> directive = new LinkedHashMap<>();
        directive.put("Namespace", namespace);
        directive.put("Dimensions", List.of(List.copyOf(dimensions.keySet())));
        directive.put("Metrics", definitions);
        Map<String, Object> aws = new LinkedHashMap<>();
        aws.put("Timestamp", clock.millis());
        aws.put("CloudWatchMetrics", List.of(directive));
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("_aws", aws);
        line.putAll(dimensions);
        for (Metric m : metrics) {
            line.put(m.name(), m.value());
        }
        properties.forEach(line::putIfAbsent);
        try {
            out.println(Json.MAPPER.writeValueAsString(line));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("metrics are not serialisable", e);
        }
    }
}
