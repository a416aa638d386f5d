package dev.mlserve.local.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mlserve.functions.api.PredictHandler;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.jobs.args.Flags;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.spark.SparkSessions;
import dev.mlserve.scoring.spark.SparkSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * {@code bench [--quick] [--out FILE] [--dir DIR] [--only warm,throughput,cold,load]}: the project's
 * benchmark, a runnable command (not a test). On four bundles (the demo churn bundle, a random
 * forest, a text pipeline and a SQLTransformer pipeline, see {@link BenchBundles}; trained into
 * {@code DIR/models} on first use) it measures, side by side with plain Spark:
 * warm latency through the API handler ({@link WarmLatency}), inline file scoring throughput
 * ({@link Throughput}), cold start in fresh JVMs and the serving process's peak resident memory
 * ({@link ColdStart}), and load through {@code serve} with concurrent clients ({@link LoadRun}). Prints a table on stdout and writes the figures as JSON, with a PNG chart of
 * them beside it ({@link BenchChart}).
 */
public final class Bench {
    public static final String USAGE = "bench [--quick] [--out FILE.json] [--dir DIR]"
            + " [--only warm,throughput,cold,load] [--requests N] [--rows N] [--processes N] [--clients N]"
            + " [--seconds N] [--template template.yaml] [--child-java-opts \"FLAGS\"]";
    private static final long DEMO_MEMORY_TARGET_KB = 1L << 20;

    private final PrintStream out;
    private final SparkSession spark;

    public Bench(PrintStream out, SparkSession spark) {
        this.out = out;
        this.spark = spark;
    }

    /** Runs the bench from command-line flags; answers the exit code. */
    public static int run(String[] args, PrintStream out) throws IOException {
        Flags f = Flags.parse(args, Set.of("--out", "--dir", "--only", "--requests", "--rows", "--processes",
                "--child-java-opts", "--clients", "--seconds", "--template"), Set.of("--quick"));
        boolean quick = f.has("--quick");
        Settings s = new Settings(
                Path.of(f.has("--dir") ? f.get("--dir") : System.getProperty("java.io.tmpdir") + "/mlserve-local-bench")
                        .toAbsolutePath(),
                f.has("--out") ? Path.of(f.get("--out")).toAbsolutePath() : null,
                f.has("--only") ? Set.of(f.get("--only").split(",")) : Set.of("warm", "throughput", "cold", "load"),
                (int) f.getLong("--requests", quick ? 300 : 2_000, 10),
                quick ? 100 : 300,
                f.getLong("--rows", quick ? 20_000 : 200_000, 1_000),
                (int) f.getLong("--processes", quick ? 3 : 5, 1),
                quick ? 20 : 50,
                f.has("--child-java-opts") ? List.of(f.get("--child-java-opts").trim().split("\\s+")) : List.of(),
                quick, (int) f.getLong("--clients", 4, 1), (int) f.getLong("--seconds", quick ? 5 : 20, 1),
                Path.of(f.has("--template") ? f.get("--template") : "template.yaml").toAbsolutePath());
        f.check(USAGE);
        SparkSettings d = SparkSettings.defaults("mlserve-bench");
        SparkSession spark = SparkSessions.getOrCreate(new SparkSettings(d.appName(), d.master(),
                s.dir().resolve("scratch").resolve("parent"), d.shufflePartitions(), d.user()));
        try {
            return new Bench(out, spark).run(s);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("bench interrupted", e);
        }
    }

    record Settings(Path dir, Path json, Set<String> only, int requests, int warmup, long rows, int processes,
                    int childWarm, List<String> childJvmFlags, boolean quick, int clients, int seconds,
                    Path template) {
    }

    int run(Settings s) throws IOException, InterruptedException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("startedAt", Instant.now().toString());
        report.put("machine", Machine.describe());
        report.put("settings", s);
        Path models = s.dir().resolve("models");
        List<Bundle> bundles = List.of(BenchBundles.demo(spark, models), BenchBundles.forest(spark, models),
                BenchBundles.text(spark, models), BenchBundles.sql(spark, models));
        List<Figure> figures = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();

        if (s.only().contains("warm")) {
            FunctionConfig config = FunctionConfig.fromEnv(Map.of(
                    FunctionConfig.BACKEND, FunctionConfig.LOCAL,
                    FunctionConfig.LOCAL_STORE, s.dir().toString(),
                    FunctionConfig.MODEL_PREFIX, "models/",
                    FunctionConfig.PRELOAD_MODELS, String.join(",", bundles.stream()
                            .map(b -> b.metadata().name()).toList())));
            PredictHandler handler = PredictHandler.forConfig(config, PredictHandler.STANDARD_WIRING,
                    RequestTelemetry.standard(new PrintStream(OutputStream.nullOutputStream())));
            WarmLatency warm = new WarmLatency(spark, handler);
            for (Bundle b : bundles) {
                String name = b.metadata().name();
                for (WarmLatency.Result r : warm.measure(b, s.warmup(), s.requests(), 1, 100)) {
                    String what = r.records() + "-record";
                    figures.add(Figure.ratioAtMost(name, "warm " + what + " p50", r.handler().p50(), r.plain().p50(),
                            "ms", r.records() == 1 ? 0.02 : 0.1));
                    Figure p99 = Figure.plain(name, "warm " + what + " p99", r.handler().p99(), r.plain().p99(), "ms");
                    figures.add(r.records() == 1 ? p99.withTarget("<= 2 ms", r.handler().p99() <= 2.0) : p99);
                }
            }
        }
        if (s.only().contains("throughput")) {
            Path csv = BenchRecords.csv(s.dir().resolve("data"), s.rows());
            Path warmupCsv = BenchRecords.csv(s.dir().resolve("data"), 5_000);
            Throughput throughput = new Throughput(spark, s.dir());
            for (Bundle b : bundles) {
                Throughput.Result r = throughput.measure(b, csv, warmupCsv, s.rows());
                figures.add(Figure.ratioAtLeast(b.metadata().name(), "file scoring " + s.rows() + " rows",
                        r.fileScorerRowsPerS(), r.plainRowsPerS(), "rows/s", 1.0));
            }
        }
        if (s.only().contains("cold")) {
            ColdStart cold = new ColdStart(s.dir(), s.childJvmFlags());
            Map<String, Object> coldDetails = new LinkedHashMap<>();
            for (Bundle b : bundles) {
                String name = b.metadata().name();
                boolean first = b == bundles.get(0);
                // Loading at the first request is measured on the demo bundle only. The variants
                // take turns process by process, so load changes on the machine hit all alike.
                List<ColdStart.Kind> kinds = first
                        ? List.of(ColdStart.Kind.PLAIN, ColdStart.Kind.HANDLER_LAZY, ColdStart.Kind.HANDLER_PRELOAD)
                        : List.of(ColdStart.Kind.PLAIN, ColdStart.Kind.HANDLER_PRELOAD);
                Map<ColdStart.Kind, ColdStart.Result> runs = cold.measureInTurns(kinds, b, s.processes(),
                        kind -> kind == ColdStart.Kind.HANDLER_LAZY ? 0 : s.childWarm());
                ColdStart.Result plain = runs.get(ColdStart.Kind.PLAIN);
                ColdStart.Result lazy = runs.get(ColdStart.Kind.HANDLER_LAZY);
                ColdStart.Result preload = runs.get(ColdStart.Kind.HANDLER_PRELOAD);
                figures.add(Figure.ratioAtMost(name, "cold start, model preloaded at init", preload.medianMs(),
                        plain.medianMs(), "ms", 0.15));
                if (lazy != null) {
                    figures.add(Figure.ratioAtMost(name, "cold start, model loaded by 1st request", lazy.medianMs(),
                            plain.medianMs(), "ms", 0.15));
                }
                Figure memory = Figure.plain(name, "peak RSS after " + s.childWarm() + " requests (VmHWM)",
                        preload.median("vmHwmKb") / 1024.0, plain.median("vmHwmKb") / 1024.0, "MiB");
                figures.add(first
                        ? memory.withTarget("<= 1024 MiB", preload.median("vmHwmKb") <= DEMO_MEMORY_TARGET_KB) : memory);
                coldDetails.put(name, lazy == null ? List.of(plain, preload) : List.of(plain, lazy, preload));
            }
            details.put("coldStart", coldDetails);
        }
        if (s.only().contains("load")) {
            Bundle demo = bundles.get(0);
            LoadRun.Result r = new LoadRun(s.dir(), s.template()).measure(demo, s.clients(),
                    java.time.Duration.ofSeconds(s.seconds()));
            String name = demo.metadata().name();
            String what = "load " + r.clients() + " clients x " + s.seconds() + " s, 1-record";
            figures.add(Figure.plain(name, what + " req/s via serve (vs handler)", r.serve().requestsPerS(),
                    r.direct().requestsPerS(), "req/s"));
            figures.add(Figure.plain(name, what + " p50 via serve (vs handler)", r.serve().p50(), r.direct().p50(), "ms"));
            figures.add(Figure.plain(name, what + " p99 via serve (vs handler)", r.serve().p99(), r.direct().p99(), "ms"));
            figures.add(Figure.plain(name, what + " answers other than 200", r.serve().errors() + r.direct().errors(),
                    r.serve().requests() + r.direct().requests(), "answers")
                    .withTarget("= 0", r.serve().errors() + r.direct().errors() == 0));
            figures.add(Figure.plain(name, "load: peak RSS of the serving JVM (VmHWM)", r.peakRssKb() / 1024.0, 0,
                    "MiB"));
            details.put("load", r);
        }
        report.put("figures", figures.stream().map(Bench::json).toList());
        report.put("details", details);
        report.put("finishedAt", Instant.now().toString());
        report.put("loadAverageAtEnd", Machine.loadAverage());
        Table.print(out, report, figures);
        if (s.json() != null) {
            Files.createDirectories(s.json().toAbsolutePath().getParent());
            Files.writeString(s.json(), Json.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(report));
            out.println("figures written to " + s.json());
            if (!figures.isEmpty()) {
                out.println("chart drawn to " + BenchChart.writeBeside(s.json()));
            }
        }
        return 0;
    }

    private static Map<String, Object> json(Figure f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bundle", f.bundle());
        m.put("metric", f.metric());
        m.put("value", round(f.value()));
        m.put("baseline", round(f.baseline()));
        m.put("unit", f.unit());
        m.put("ratio", round(f.ratio()));
        m.put("target", f.target());
        m.put("met", f.met());
        return m;
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : v;
    }
}
