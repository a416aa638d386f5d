package dev.mlserve.local.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The bench table: each figure, its plain-Spark baseline, the ratio, the target and whether it is met. */
final class Table {
    private Table() {
    }

    static void print(PrintStream out, Map<String, Object> report, List<Figure> figures) {
        out.println("mlserve bench " + report.get("startedAt") + "  machine: " + report.get("machine"));
        String format = "%-13s %-44s %12s %12s %-6s %8s  %-14s %s%n";
        out.printf(Locale.ROOT, format, "bundle", "figure", "mlserve", "plain Spark", "unit", "ratio", "target", "met");
        for (Figure f : figures) {
            out.printf(Locale.ROOT, format, f.bundle(), f.metric(), number(f.value()), number(f.baseline()), f.unit(),
                    String.format(Locale.ROOT, "%.3f", f.ratio()), f.target() == null ? "-" : f.target(),
                    f.met() == null ? "-" : f.met() ? "yes" : "NO");
        }
    }

    private static String number(double v) {
        return v >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.3f", v);
    }
}
