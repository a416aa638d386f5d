package dev.mlserve.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.json.Json;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchChartTest {
    @TempDir
    Path dir;

    @Test
    void writeBeside_fourFigures_writesAPngOfTwoRowsOfThreePanels() throws Exception {
        Path json = dir.resolve("run.json");
        Files.writeString(json, Json.MAPPER.writeValueAsString(report(List.of(
                figure("churn", "warm 1-record p50", 0.33, 34.4, "ms", "ratio <= 0.02", true),
                figure("churn", "warm 1-record p99", 0.64, 56.8, "ms", "<= 2 ms", true),
                figure("churn", "file scoring 200000 rows", 147_709.8, 106_197.3, "rows/s", "ratio >= 0.9", true),
                figure("churn-forest", "peak RSS after 50 requests (VmHWM)", 610.0, 507.0, "MiB", null, null)))));

        Path png = BenchChart.writeBeside(json);

        assertThat(png).isEqualTo(dir.resolve("run.png"));
        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n');
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(3 * BenchChart.PANEL_WIDTH);
        assertThat(image.getHeight()).isEqualTo(2 * BenchChart.PANEL_HEIGHT);
        // panels are drawn, not left blank: the throughput panel's bars are in the series' colours, the empty cell is white
        assertThat(countColour(image, 2 * BenchChart.PANEL_WIDTH, 0, 0x1F77B4)).isGreaterThan(5_000);
        assertThat(countColour(image, 2 * BenchChart.PANEL_WIDTH, 0, 0xB0B0B0)).isGreaterThan(5_000);
        assertThat(countColour(image, 2 * BenchChart.PANEL_WIDTH, BenchChart.PANEL_HEIGHT, 0x1F77B4)).isZero();
        assertThat(countColour(image, 0, BenchChart.PANEL_HEIGHT, 0xB0B0B0)).isPositive();
    }

    @Test
    void verdict_namesRatioTargetAndWhetherItIsMet() {
        BenchChart.Panel met = BenchChart.Panel.of(Json.MAPPER.valueToTree(
                figure("churn", "warm 1-record p50", 0.33, 34.4, "ms", "ratio <= 0.02", true)));
        BenchChart.Panel missed = BenchChart.Panel.of(Json.MAPPER.valueToTree(
                figure("churn", "cold", 9.0, 10.0, "ms", "ratio <= 0.5", false)));

        assertThat(BenchChart.verdict(met)).isEqualTo("0.330 vs 34.400 ms, ratio 0.010, target <= 0.02: met");
        assertThat(BenchChart.verdict(missed)).isEqualTo("9.000 vs 10.000 ms, ratio 0.900, target <= 0.5: NOT met");
    }

    @Test
    void render_reportWithoutFigures_refuses() {
        JsonNode empty = Json.MAPPER.valueToTree(report(List.of()));

        assertThatThrownBy(() -> BenchChart.render(empty)).hasMessageContaining("no figures");
    }

    private static Map<String, Object> report(List<Map<String, Object>> figures) {
        return Map.of("startedAt", "2026-12-02T00:00:00Z", "figures", figures);
    }

    private static Map<String, Object> figure(String bundle, String metric, double value, double baseline, String unit,
                                              String target, Boolean met) {
        Map<String, Object> f = new java.util.LinkedHashMap<>();
        f.put("bundle", bundle);
        f.put("metric", metric);
        f.put("value", value);
        f.put("baseline", baseline);
        f.put("unit", unit);
        f.put("ratio", Math.round(value / baseline * 1000) / 1000.0);
        f.put("target", target);
        f.put("met", met);
        return f;
    }

    private static long countColour(BufferedImage image, int x0, int y0, int rgb) {
        long n = 0;
        for (int y = y0; y < y0 + BenchChart.PANEL_HEIGHT; y++) {
            for (int x = x0; x < x0 + BenchChart.PANEL_WIDTH; x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }
}
