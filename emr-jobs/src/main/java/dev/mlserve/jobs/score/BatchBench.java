package dev.mlserve.jobs.score;

import dev.mlserve.jobs.JobSessions;
import dev.mlserve.jobs.args.Flags;
import dev.mlserve.jobs.train.ChurnDemoData;
import dev.mlserve.jobs.train.TrainArgs;
import dev.mlserve.jobs.train.TrainJob;
import dev.mlserve.scoring.io.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * Benchmark, not a test: one generated churn CSV (label dropped) scored in one JVM and session by
 * the batch job's code path ({@link BatchScoreJob#run}: bundle through Hadoop paths, validation,
 * rejected rows, manifest) and by plain Spark (typed CSV read, {@code PipelineModel.transform},
 * CSV write of the same columns). Both first run once on a small file to warm up; each measured
 * run is timed end to end, pipeline loading included. Prints rows/s of each and their ratio on stdout; logs go to stderr.
 */
public final class BatchBench {
    static final String USAGE = "BatchBench [--rows N] [--repeat R] [--dir DIR]";
    private static final int WARMUP_ROWS = 100_000;

    private final SparkSession spark;
    private final Path dir;

    private BatchBench(SparkSession spark, Path dir) {
        this.spark = spark;
        this.dir = dir;
    }

    public static void main(String[] argv) throws IOException {
        Flags f = Flags.parse(argv, Set.of("--rows", "--repeat", "--dir"), Set.of());
        long rows = f.getLong("--rows", 1_000_000, 1_000);
        long repeat = f.getLong("--repeat", 1, 1);
        Path dir = Path.of(f.has("--dir") ? f.get("--dir") : System.getProperty("java.io.tmpdir") + "/mlserve-bench")
                .toAbsolutePath();
        f.check(USAGE);
        SparkSession spark = JobSessions.create("mlserve-batch-bench");
        try {
            new BatchBench(spark, dir).run(rows, (int) repeat);
        } finally {
            spark.stop();
        }
    }

    private void run(long rows, int repeat) throws IOException {
        Path bundle = demoBundle();
        Path input = churnCsv(rows);
        Path warmup = churnCsv(WARMUP_ROWS);
        plain(bundle, warmup, dir.resolve("out/warmup-plain"));
        batch(bundle, warmup, dir.resolve("out/warmup-batch"));

        System.out.printf(Locale.ROOT, "batch bench: rows=%d input=%s (%.1f MiB) cores=%d spark=%s%n", rows, input,
                Files.size(input) / 1048576.0, spark.sparkContext().defaultParallelism(), spark.version());
        List<Double> ratios = new ArrayList<>();
        for (int i = 1; i <= repeat; i++) {
            Path plainOut = dir.resolve("out/plain");
            Path batchOut = dir.resolve("out/batch");
            double plainSeconds = timed(() -> plain(bundle, input, plainOut));
            Manifest[] manifest = new Manifest[1];
            double batchSeconds = timed(() -> manifest[0] = batch(bundle, input, batchOut));
            if (manifest[0].rowsScored() != rows) {
                throw new IllegalStateException("the batch job scored " + manifest[0].rowsScored() + " of " + rows);
            }
            double ratio = plainSeconds / batchSeconds;
            ratios.add(ratio);
            System.out.printf(Locale.ROOT, "run %d: plain read->transform->write %6.1f s %,9.0f rows/s (%d files)%n",
                    i, plainSeconds, rows / plainSeconds, parts(plainOut));
            System.out.printf(Locale.ROOT, "run %d: batch job (BatchScoreJob.run)  %6.1f s %,9.0f rows/s (%d files)"
                    + "  batch/plain rows/s = %.2f%n", i, batchSeconds, rows / batchSeconds, parts(batchOut.resolve(
                    "scored")), ratio);
        }
        System.out.printf(Locale.ROOT, "ratio batch/plain rows/s: %s%n", ratios.stream()
                .map(r -> String.format(Locale.ROOT, "%.2f", r)).toList());
    }

    /** The baseline: what a Spark user writes by hand (load, read, transform, write), same output columns. */
    private void plain(Path bundle, Path input, Path output) {
        PipelineModel model = PipelineModel.load(bundle.resolve("pipeline").toUri().toString());
        StructType schema = new StructType(Arrays.stream(ChurnDemoData.SCHEMA.fields())
                .filter(c -> !c.name().equals(ChurnDemoData.LABEL)).toArray(org.apache.spark.sql.types.StructField[]::new));
        Dataset<Row> rows = spark.read().option("header", "true").schema(schema).csv(input.toString());
        List<Column> columns = new ArrayList<>();
        Arrays.stream(schema.fieldNames()).forEach(c -> columns.add(functions.col(c)));
        columns.add(functions.col("prediction"));
        columns.add(functions.to_json(org.apache.spark.ml.functions.vector_to_array(functions.col("probability"),
                "float64")).as("probability"));
        columns.add(functions.col("predictedLabel"));
        model.transform(rows)
                .select(columns.toArray(Column[]::new))
                .write()
                .mode(SaveMode.Overwrite)
                .option("header", "true")
                .csv(output.toString());
    }

    private Manifest batch(Path bundle, Path input, Path output) {
        return BatchScoreJob.run(spark, BatchScoreArgs.parse(new String[] {"--bundle", bundle.toString(), "--input",
            input.toString(), "--output", output.toString(), "--job-id", "bench", "--route-reason", "benchmark"}));
    }

    private Path demoBundle() {
        Path models = dir.resolve("models");
        Path bundle = models.resolve(ChurnDemoData.NAME).resolve("1");
        if (!Files.isRegularFile(bundle.resolve("bundle.json"))) {
            TrainJob.run(spark, TrainArgs.parse(new String[] {"--demo", "--out", models.toString()}));
        }
        return bundle;
    }

    /** churn-N.csv: ChurnDemoData rows without the label, one file with a header; made once, then reused. */
    private Path churnCsv(long rows) throws IOException {
        Path file = dir.resolve("churn-" + rows + ".csv");
        if (Files.isRegularFile(file)) {
            return file;
        }
        Path tmp = dir.resolve("tmp-" + rows);
        ChurnDemoData.generate(spark, rows, 11)
                .drop(ChurnDemoData.LABEL)
                .coalesce(1)
                .write()
                .mode(SaveMode.Overwrite)
                .option("header", "true")
                .csv(tmp.toString());
        try (Stream<Path> parts = Files.list(tmp)) {
            Path part = parts.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst()
                    .orElseThrow(() -> new IOException("no part file in " + tmp));
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
        }
        deleteTree(tmp);
        return file;
    }

    private static double timed(Runnable run) {
        long start = System.nanoTime();
        run.run();
        return (System.nanoTime() - start) / 1e9;
    }

    private static long parts(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted((a, b) -> b.compareTo(a))::iterator) {
                Files.delete(p);
            }
        }
    }
}
