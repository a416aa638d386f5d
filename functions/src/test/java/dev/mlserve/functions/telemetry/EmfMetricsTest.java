package dev.mlserve.functions.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.telemetry.EmfMetrics.Metric;
import dev.mlserve.scoring.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmfMetricsTest {

    @Test
    void emit_writesOneLineInTheEmbeddedMetricFormat() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Clock clock = Clock.fixed(Instant.ofEpochMilli(1_764_072_000_000L), ZoneOffset.UTC);
        EmfMetrics metrics = new EmfMetrics(new PrintStream(out, true, StandardCharsets.UTF_8), clock, "mlserve");

        metrics.emit(Map.of("Route", "inline"), List.of(new Metric("Latency", "Milliseconds", 41),
                new Metric("RecordsScored", "Count", 3)), Map.of("requestId", "r-1"));

        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text.lines()).hasSize(1);
        JsonNode line = Json.MAPPER.readTree(text);
        assertThat(line.get("_aws")).isEqualTo(Json.MAPPER.readTree("""
                {"Timestamp": 1764072000000,
                 "CloudWatchMetrics": [{"Namespace": "mlserve", "Dimensions": [["Route"]],
                   "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}, {"Name": "RecordsScored", "Unit": "Count"}]}]}
                """));
        assertThat(line.get("Route").asText()).isEqualTo("inline");
        assertThat(line.get("Latency").asInt()).isEqualTo(41);
        assertThat(line.get("RecordsScored").asInt()).isEqualTo(3);
        assertThat(line.get("requestId").asText()).isEqualTo("r-1");
    }
}
