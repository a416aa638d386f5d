package dev.mlserve.local.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private final RouteTable table = new RouteTable(List.of(
            new RouteTable.Route("Fn", "POST", "/models/{model}/predict"),
            new RouteTable.Route("Fn", "GET", "/models/{model}"),
            new RouteTable.Route("Fn", "GET", "/models/latest"),
            new RouteTable.Route("Proxy", "ANY", "/files/{path+}")));

    @Test
    void match_bindsPathParameters_decoded() {
        RouteTable.Match m = table.match("POST", "/models/my%20model/predict").orElseThrow();

        assertThat(m.route().path()).isEqualTo("/models/{model}/predict");
        assertThat(m.pathParameters()).isEqualTo(Map.of("model", "my model"));
    }

    @Test
    void match_prefersALiteralSegmentOverAVariable() {
        assertThat(table.match("GET", "/models/latest").orElseThrow().route().path()).isEqualTo("/models/latest");
        assertThat(table.match("GET", "/models/churn").orElseThrow().pathParameters()).containsEntry("model", "churn");
    }

    @Test
    void match_greedyVariableTakesTheRestOfThePath_forAnyMethod() {
        RouteTable.Match m = table.match("DELETE", "/files/a/b/c.csv").orElseThrow();

        assertThat(m.route().function()).isEqualTo("Proxy");
        assertThat(m.pathParameters()).containsEntry("path", "a/b/c.csv");
    }

    @Test
    void match_whenThePathHasNoRouteOrTheMethodDiffers_isEmpty() {
        assertThat(table.match("GET", "/health")).isEmpty();
        assertThat(table.match("DELETE", "/models/churn")).isEmpty();
        assertThat(table.match("GET", "/models/churn/predict")).isEmpty();
        assertThat(table.match("GET", "/files")).isEmpty();
    }
}
