package dev.mlserve.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.json.Json;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;

/**
 * The bench's figures as one PNG: a panel per figure (warm latency percentiles, file scoring
 * throughput, cold start, memory), each with our value beside plain Spark's, the ratio and the
 * target in the panel's axis title. Drawn with XChart on a headless AWT, from the JSON report the
 * bench writes, so any earlier run can be drawn again:
 * {@code java -cp scoring-local.jar dev.mlserve.local.bench.BenchChart run.json [chart.png]}.
 */
public final class BenchChart {
    static final int PANEL_WIDTH = 440;
    static final int PANEL_HEIGHT = 320;
    static final int COLUMNS = 3;
    static final String OURS = "mlserve";
    static final String PLAIN = "plain Spark";
    private static final Color OURS_COLOR = new Color(0x1F77B4);
    private static final Color PLAIN_COLOR = new Color(0xB0B0B0);

    static {
        // a chart on a server or in CI: never try to reach a display
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private BenchChart() {
    }

    /** One figure of the report: {@code figures[i]} of the bench JSON. */
    record Panel(String bundle, String metric, double value, double baseline, String unit, Double ratio,
                 String target, Boolean met) {
        static Panel of(JsonNode f) {
            return new Panel(f.path("bundle").asText(), f.path("metric").asText(), f.path("value").asDouble(),
                    f.path("baseline").asDouble(), f.path("unit").asText(""),
                    f.hasNonNull("ratio") ? f.get("ratio").asDouble() : null,
                    f.hasNonNull("target") ? f.get("target").asText() : null,
                    f.hasNonNull("met") ? f.get("met").asBoolean() : null);
        }

        boolean higherIsBetter() {
            return unit.endsWith("/s");
        }
    }

    /** Draws {@code report.json} into {@code report.png} beside it; answers the PNG's path. */
    public static Path writeBeside(Path json) throws IOException {
        String file = json.getFileName().toString();
        String base = file.endsWith(".json") ? file.substring(0, file.length() - ".json".length()) : file;
        Path png = json.resolveSibling(base + ".png");
        write(Json.MAPPER.readTree(json.toFile()), png);
        return png;
    }

    /** Draws the report's figures into a PNG file. */
    public static void write(JsonNode report, Path png) throws IOException {
        BufferedImage image = render(report);
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    /** {@link #COLUMNS} panels a row, as many rows as the figures need. */
    static BufferedImage render(JsonNode report) {
        List<Panel> panels = new ArrayList<>();
        report.path("figures").forEach(f -> panels.add(Panel.of(f)));
        if (panels.isEmpty()) {
            throw new IllegalArgumentException("the bench report has no figures to draw");
        }
        int columns = Math.min(COLUMNS, panels.size());
        int rows = (panels.size() + columns - 1) / columns;
        BufferedImage image = new BufferedImage(columns * PANEL_WIDTH, rows * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < panels.size(); i++) {
                Graphics2D cell = (Graphics2D) g.create((i % columns) * PANEL_WIDTH, (i / columns) * PANEL_HEIGHT,
                        PANEL_WIDTH, PANEL_HEIGHT);
                try {
                    chart(panels.get(i)).paint(cell, PANEL_WIDTH, PANEL_HEIGHT);
                } finally {
                    cell.dispose();
                }
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    static CategoryChart chart(Panel p) {
        CategoryChart chart = new CategoryChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT)
                .title(p.bundle() + ": " + p.metric())
                .xAxisTitle(verdict(p))
                .yAxisTitle(p.unit() + (p.higherIsBetter() ? " (higher is better)" : " (lower is better)"))
                .build();
        CategoryStyler styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setLegendVisible(false);
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        styler.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        styler.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        styler.setSeriesColors(new Color[] {OURS_COLOR, PLAIN_COLOR});
        styler.setYAxisDecimalPattern("#,##0.###");
        styler.setYAxisMin(0.0);
        styler.setYAxisMax(Math.max(p.value(), p.baseline()) * 1.1);
        // one bar per category, each in its series' colour: the tick labels name them, no legend needed
        styler.setOverlapped(true);
        chart.addSeries(OURS, List.of(OURS, PLAIN), java.util.Arrays.asList(p.value(), null));
        chart.addSeries(PLAIN, List.of(OURS, PLAIN), java.util.Arrays.asList(null, p.baseline()));
        return chart;
    }

    /** "0.332 vs 34.454 ms, ratio 0.010, target <= 0.02: met". */
    static String verdict(Panel p) {
        StringBuilder s = new StringBuilder(number(p.value()) + " vs " + number(p.baseline()) + " " + p.unit());
        if (p.ratio() != null && Double.isFinite(p.ratio())) {
            s.append(String.format(Locale.ROOT, ", ratio %.3f", p.ratio()));
        }
        if (p.target() != null) {
            boolean ratioShown = p.ratio() != null && Double.isFinite(p.ratio());
            s.append(", target ").append(ratioShown && p.target().startsWith("ratio ")
                    ? p.target().substring("ratio ".length()) : p.target());
            if (p.met() != null) {
                s.append(p.met() ? ": met" : ": NOT met");
            }
        }
        return s.toString();
    }

    private static String number(double v) {
        return Math.abs(v) >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    /** {@code BenchChart REPORT.json [OUT.png]}: draws a report written by an earlier bench run. */
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: BenchChart REPORT.json [OUT.png]");
            System.exit(2);
        }
        Path json = Path.of(args[0]);
        Path png = args.length == 2 ? Path.of(args[1]) : null;
        if (png == null) {
            png = writeBeside(json);
        } else {
            write(Json.MAPPER.readTree(json.toFile()), png);
        }
        System.out.println("chart written to " + png);
    }
}
