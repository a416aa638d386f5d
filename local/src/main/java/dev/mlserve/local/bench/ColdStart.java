package dev.mlserve.local.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.spark.SparkSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Cold start: fresh JVM processes, run one after another (variants taking turns) with the parent's class path, the
 * shared {@code --add-opens} list and {@code -XX:MaxRAM=2048m} (the JVM sizes itself as in a
 * 2048 MB Lambda). The figure is wall time from process start until the child says it answered its
 * first prediction; the median over the processes is reported, with each child's own phases.
 */
final class ColdStart {
    /** What to start: a serving handler (lazy or preloading its model) or plain Spark. */
    enum Kind { HANDLER_LAZY, HANDLER_PRELOAD, PLAIN }

    /** One variant's runs: wall times to the first answer and each child's figures. */
    record Result(Kind kind, List<Long> wallMs, List<Map<String, Object>> children) {
        long medianMs() {
            long[] sorted = wallMs.stream().mapToLong(Long::longValue).sorted().toArray();
            return sorted[sorted.length / 2];
        }

        /** The median of a numeric child figure. */
        long median(String figure) {
            long[] sorted = children.stream().mapToLong(c -> ((Number) c.get(figure)).longValue()).sorted().toArray();
            return sorted[sorted.length / 2];
        }
    }

    private final Path dir;
    private final List<String> extraJvmFlags;

    ColdStart(Path dir, List<String> extraJvmFlags) {
        this.dir = dir;
        this.extraJvmFlags = extraJvmFlags;
    }

    /**
     * Several variants taking turns: process 1 of each, then process 2 of each, and so on, so a
     * change of load on the machine during the run falls on every variant alike.
     */
    Map<Kind, Result> measureInTurns(List<Kind> kinds, Bundle bundle, int processes,
                                     ToIntFunction<Kind> warm)
            throws IOException, InterruptedException {
        Map<Kind, List<Long>> wall = new EnumMap<>(Kind.class);
        Map<Kind, List<Map<String, Object>>> children = new EnumMap<>(Kind.class);
        for (int i = 0; i < processes; i++) {
            for (Kind kind : kinds) {
                Run run = start(kind, bundle, i, warm.applyAsInt(kind));
                wall.computeIfAbsent(kind, k -> new ArrayList<>()).add(run.wallMs);
                children.computeIfAbsent(kind, k -> new ArrayList<>()).add(run.figures);
            }
        }
        Map<Kind, Result> results = new EnumMap<>(Kind.class);
        kinds.forEach(k -> results.put(k, new Result(k, wall.get(k), children.get(k))));
        return results;
    }

    private record Run(long wallMs, Map<String, Object> figures) {
    }

    private Run start(Kind kind, Bundle bundle, int n, int warm) throws IOException, InterruptedException {
        String model = bundle.metadata().name();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(addOpens());
        command.add("-XX:MaxRAM=2048m");
        command.addAll(extraJvmFlags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        if (kind == Kind.PLAIN) {
            command.addAll(List.of(ColdPlainMain.class.getName(), bundle.directory().toString(), Integer.toString(warm)));
        } else {
            command.addAll(List.of(ColdHandlerMain.class.getName(), model, bundle.directory().toString(),
                    Integer.toString(warm)));
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        Path log = dir.resolve("logs").resolve(kind.name().toLowerCase() + "-" + model + "-" + n + ".log");
        java.nio.file.Files.createDirectories(log.getParent());
        builder.redirectError(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("MLSERVE_") || k.equals("AWS_LAMBDA_FUNCTION_NAME"));
        env.put(FunctionConfig.BACKEND, FunctionConfig.LOCAL);
        env.put(FunctionConfig.LOCAL_STORE, dir.toString());
        env.put(FunctionConfig.MODEL_PREFIX, "models/");
        env.put(SparkSettings.ENV_SCRATCH_DIR, dir.resolve("scratch").resolve(kind.name().toLowerCase() + "-" + n)
                .toString());
        if (kind == Kind.HANDLER_PRELOAD) {
            env.put(FunctionConfig.PRELOAD_MODELS, model);
        }
        long started = System.nanoTime();
        Process process = builder.start();
        long wallMs = -1;
        Map<String, Object> figures = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.equals(ChildReport.READY)) {
                    wallMs = (System.nanoTime() - started) / 1_000_000;
                } else if (line.startsWith(ChildReport.FIGURES)) {
                    figures = Json.MAPPER.readValue(line.substring(ChildReport.FIGURES.length()),
                            new TypeReference<LinkedHashMap<String, Object>>() { });
                }
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
        }
        if (wallMs < 0 || figures == null) {
            throw new IllegalStateException("cold-start child " + kind + " failed (exit " + process.exitValue()
                    + "); see " + log);
        }
        return new Run(wallMs, figures);
    }

    /** The shared list (scoring's mlserve/add-opens.txt) as JVM flags: -cp ignores the jar's Add-Opens. */
    static List<String> addOpens() throws IOException {
        try (InputStream in = ColdStart.class.getResourceAsStream("/mlserve/add-opens.txt")) {
            if (in == null) {
                throw new IOException("missing resource mlserve/add-opens.txt");
            }
            return Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\s+"))
                    .filter(s -> !s.isBlank())
                    .map(s -> "--add-opens=" + s + "=ALL-UNNAMED")
                    .toList();
        }
    }
}
