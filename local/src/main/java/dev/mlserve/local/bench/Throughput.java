package dev.mlserve.local.bench;

import dev.mlserve.jobs.train.ChurnDemoData;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Inline file scoring throughput: {@link FileScorer} with the bundle's {@link FastPathScorer} (what
 * the upload function runs: validation, scoring through the fast path when it is on, rejected
 * rows, manifest) against plain Spark (typed CSV read, transform, CSV write of the same
 * columns) on one generated CSV, in this JVM and session, pipelines already loaded, each run once
 * on a small file first, then {@value #ROUNDS} timed runs each in alternating order (medians).
 */
final class Throughput {
    /** Rows per second of each. */
    record Result(long rows, double fileScorerRowsPerS, double plainRowsPerS) {
    }

    /** Timed runs of each side; the median counts. */
    static final int ROUNDS = 3;

    private final SparkSession spark;
    private final Path dir;

    Throughput(SparkSession spark, Path dir) {
        this.spark = spark;
        this.dir = dir;
    }

    Result measure(Bundle bundle, Path csv, Path warmupCsv, long rows) {
        FastPathScorer scorer = FastPathScorer.load(spark, bundle);
        PipelineModel model = PipelineModel.load(bundle.pipelineDirectory().toUri().toString());
        String name = bundle.metadata().name();
        fileScorer(scorer, warmupCsv, dir.resolve("out").resolve(name + "-warmup-scorer"), -1);
        plain(model, scorer.defaultOutputs(), warmupCsv, dir.resolve("out").resolve(name + "-warmup-plain"));
        // ROUNDS rounds, the order alternating (plain first, then ours first, ...): the median of
        // each side, so one slow moment of a shared machine does not decide the ratio
        double[] plainS = new double[ROUNDS];
        double[] scorerS = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            Runnable plainRun = () -> plain(model, scorer.defaultOutputs(), csv, dir.resolve("out").resolve(name + "-plain"));
            Runnable scorerRun = () -> fileScorer(scorer, csv, dir.resolve("out").resolve(name + "-scorer"), rows);
            if (round % 2 == 0) {
                plainS[round] = timed(plainRun);
                scorerS[round] = timed(scorerRun);
            } else {
                scorerS[round] = timed(scorerRun);
                plainS[round] = timed(plainRun);
            }
        }
        return new Result(rows, rows / median(scorerS), rows / median(plainS));
    }

    private void fileScorer(FastPathScorer scorer, Path csv, Path output, long expected) {
        Manifest manifest = new FileScorer(spark, scorer).score(csv.toUri().toString(), FileFormat.CSV,
                output.toUri().toString(), RunInfo.inline("bench"));
        if (!manifest.succeeded() || expected >= 0 && manifest.rowsScored() != expected) {
            throw new IllegalStateException("FileScorer scored " + manifest.rowsScored() + " rows: " + manifest.error());
        }
    }

    /** The baseline a Spark user writes: typed read, transform, the same columns written as CSV. */
    private void plain(PipelineModel model, List<String> outputs, Path csv, Path output) {
        StructType schema = new StructType(Arrays.stream(ChurnDemoData.SCHEMA.fields())
                .filter(c -> !c.name().equals(ChurnDemoData.LABEL)).toArray(StructField[]::new));
        Dataset<Row> rows = spark.read().option("header", "true").schema(schema).csv(csv.toUri().toString());
        List<Column> columns = new ArrayList<>();
        Arrays.stream(schema.fieldNames()).forEach(c -> columns.add(functions.col(c)));
        for (String o : outputs) {
            columns.add(o.equals("probability") || o.equals("rawPrediction")
                    ? functions.to_json(org.apache.spark.ml.functions.vector_to_array(functions.col(o), "float64")).as(o)
                    : functions.col(o));
        }
        model.transform(rows)
                .select(columns.toArray(Column[]::new))
                .write()
                .mode(SaveMode.Overwrite)
                .option("header", "true")
                .csv(output.toUri().toString());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double timed(Runnable run) {
        long start = System.nanoTime();
        run.run();
        return (System.nanoTime() - start) / 1e9;
    }
}
