package dev.mlserve.local;

import dev.mlserve.jobs.args.Flags;
import dev.mlserve.jobs.train.ChurnDemoData;
import dev.mlserve.jobs.train.TrainArgs;
import dev.mlserve.jobs.train.TrainJob;
import dev.mlserve.scoring.api.PredictRequest;
import dev.mlserve.scoring.api.Responses;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code demo}: the whole embedded default in one command. Trains the churn bundle into the local
 * store (or reuses it), answers a small prediction request, and scores an uploaded CSV with a few
 * bad rows into {@code scored/}, printing each answer.
 */
final class Demo {
    private final Cli cli;
    private final Supplier<SparkSession> spark;

    Demo(Cli cli, Supplier<SparkSession> spark) {
        this.cli = cli;
        this.spark = spark;
    }

    int run(String[] args) throws IOException {
        Flags f = Flags.parse(args, Set.of("--store"), Set.of());
        f.check(Cli.USAGE);
        Path store = Path.of(f.has("--store") ? f.get("--store") : "local-store").toAbsolutePath();
        Path models = store.resolve("models");
        SparkSession session = spark.get();

        Bundle bundle;
        try {
            bundle = new LocalBundleStore(models).fetch(ChurnDemoData.NAME, null);
        } catch (ModelNotFoundException e) {
            bundle = TrainJob.run(session, TrainArgs.parse(new String[] {"--demo", "--out", models.toString()}));
        }
        PipelineScorer scorer = PipelineScorer.load(session, bundle);

        PredictRequest request = PredictRequest.parse(resource("/demo/records.json"));
        Map<String, Object> answers = new LinkedHashMap<>();
        answers.put("bundle", bundle.directory().toString());
        answers.put("predict", Responses.predictions(bundle.metadata(), scorer.predict(request.records(), null)));

        Path incoming = store.resolve("incoming").resolve(ChurnDemoData.NAME).resolve("customers.csv");
        writeSampleCsv(session, incoming);
        Path output = store.resolve("scored").resolve(ChurnDemoData.NAME).resolve("customers.csv");
        Manifest manifest = new FileScorer(session, scorer).score(incoming.toUri().toString(), FileFormat.CSV,
                output.toUri().toString(), RunInfo.inline("demo: small file scored in-process"));
        answers.put("score", manifest);
        answers.put("rejectedRows", Files.readAllLines(output.resolve("rejected.jsonl")));
        cli.print(answers);
        return manifest.succeeded() ? 0 : 1;
    }

    /** 200 generated customers (labels dropped), one with a plan never seen in training (scored), one bad row (rejected). */
    private static void writeSampleCsv(SparkSession session, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        List<String> columns = new ArrayList<>(List.of(ChurnDemoData.SCHEMA.fieldNames()));
        columns.remove(ChurnDemoData.LABEL);
        lines.add(String.join(",", columns));
        for (long id = 0; id < 200; id++) {
            Row row = ChurnDemoData.row(id, 2026);
            List<String> cells = new ArrayList<>();
            for (String c : columns) {
                Object v = row.get(ChurnDemoData.SCHEMA.fieldIndex(c));
                cells.add(v == null ? "" : v.toString());
            }
            lines.add(String.join(",", cells));
        }
        lines.add("C9000001,gold,month-to-month,card,north,3,29.5,1,2.0,true");
        lines.add("C9000002,basic,month-to-month,card,north,three,29.5,1,2.0,perhaps");
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = Demo.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
