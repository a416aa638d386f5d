package dev.mlserve.local.bench;

import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What the cold-start child processes print: a ready line, then one JSON line of figures. */
final class ChildReport {
    static final String READY = "BENCH-READY";
    static final String FIGURES = "BENCH-FIGURES ";

    private ChildReport() {
    }

    static void ready(PrintStream out) {
        out.println(READY);
        out.flush();
    }

    /**
     * Adds what every child reports after its phase timings (warm request count, peak and current
     * RSS, heap in use) and prints the figures line.
     */
    static void finish(PrintStream out, Map<String, Object> figures, int warmRequests) throws IOException {
        figures.put("warmRequests", warmRequests);
        figures.put("vmHwmKb", procStatusKb("VmHWM"));
        figures.put("vmRssKb", procStatusKb("VmRSS"));
        figures.put("heapUsedMb", (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        figures(out, figures);
    }

    private static void figures(PrintStream out, Map<String, Object> figures) throws IOException {
        out.println(FIGURES + Json.MAPPER.writeValueAsString(figures));
        out.flush();
    }

    /** Milliseconds from the JVM's start (as the runtime records it) to now. */
    static long sinceJvmStartMs() {
        return System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
    }

    /** A line of /proc/self/status in kB (VmHWM: peak resident set; VmRSS: now), or -1 off Linux. */
    static long procStatusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
