package dev.mlserve.functions.telemetry;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.functions.telemetry.EmfMetrics.Metric;
import dev.mlserve.scoring.json.Json;
import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per request: one structured JSON log line through SLF4J (logger {@value #LOGGER}) and one EMF
 * metrics line. Names, counts and timings only; never record contents, never error details (they
 * quote bad values).
 */
public final class RequestTelemetry {
    public static final String LOGGER = "mlserve.requests";

    private final Logger log;
    private final EmfMetrics metrics;

    public RequestTelemetry(Logger log, EmfMetrics metrics) {
        this.log = Objects.requireNonNull(log, "log");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** The request log on {@value #LOGGER}, metrics on stdout (where Lambda's EMF support reads them). */
    public static RequestTelemetry standard(PrintStream stdout) {
        return new RequestTelemetry(LoggerFactory.getLogger(LOGGER),
                new EmfMetrics(stdout, Clock.systemUTC(), EmfMetrics.NAMESPACE));
    }

    /**
     * @param error the answer's error message (null on success)
     * @param rejected how many records failed validation (0 unless the answer is a 400 about records)
     */
    public void record(RequestFacts facts, int status, long millis, String error, int rejected) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("requestId", facts.requestId());
        line.put("method", facts.method());
        line.put("resource", facts.resource());
        line.put("model", facts.model());
        line.put("version", facts.version());
        line.put("format", facts.format());
        line.put("records", facts.records());
        line.put("bytes", facts.bytes());
        line.put("route", facts.route());
        line.put("jobId", facts.jobId());
        line.put("status", status);
        line.put("ms", millis);
        line.put("rejected", rejected);
        line.put("error", error);
        line.values().removeIf(Objects::isNull);
        log.info("{}", json(line));

        String route = facts.route() == null ? "none" : facts.route();
        metrics.emit(Map.of("Route", route), List.of(
                new Metric("Latency", "Milliseconds", millis),
                new Metric("Requests", "Count", 1),
                new Metric("RecordsScored", "Count", facts.scored()),
                new Metric("RecordsBatched", "Count", facts.batched()),
                new Metric("RecordsRejected", "Count", rejected),
                new Metric("Faults", "Count", status >= 500 ? 1 : 0)),
                properties(facts, status));
    }

    private static Map<String, Object> properties(RequestFacts facts, int status) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("requestId", facts.requestId());
        p.put("status", status);
        if (facts.model() != null) {
            p.put("model", facts.model());
        }
        if (facts.version() != null) {
            p.put("version", facts.version());
        }
        return p;
    }

    private static String json(Map<String, Object> line) {
        try {
            return Json.MAPPER.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
