package dev.mlserve.scoring.io;

import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch file scoring, shared by the CLI, the upload Lambda and the EMR job: reads a file (or a
 * folder of part files) through Hadoop paths, validates every row, scores the valid ones, and
 * writes {@code scored/}, {@code rejected.jsonl} and, last, {@code _manifest.json} under the output
 * folder. A re-run replaces the previous result: the old manifest goes first.
 */
public final class FileScorer {
    /** Spark setting: input bytes per output file, e.g. {@code 256m}. */
    public static final String TARGET_FILE_BYTES = "spark.mlserve.output.targetFileBytes";
    /** Spark setting: the progress log interval, e.g. {@code 10s}. */
    public static final String PROGRESS_INTERVAL = "spark.mlserve.progress.interval";
    private static final Logger LOG = LoggerFactory.getLogger(FileScorer.class);

    private final SparkSession spark;
    private final PipelineScorer scorer;

    public FileScorer(SparkSession spark, PipelineScorer scorer) {
        this.spark = spark;
        this.scorer = scorer;
    }

    /**
     * @param input a Hadoop path or URI (file:, s3: on EMR) of a file or folder
     * @param output the result folder
     * @return the manifest that was written; FAILED when the file itself is unusable
     */
    public Manifest score(String input, FileFormat format, String output, RunInfo run) {
        try (ScoringProgress progress = ScoringProgress.start(spark, input, progressInterval())) {
            return scoreFile(input, format, output, run);
        }
    }

    private Manifest scoreFile(String input, FileFormat format, String output, RunInfo run) {
        Instant started = Instant.now();
        OutputWriter writer = new OutputWriter(spark, new Path(output));
        writer.clear();
        ValidatedInput validated;
        try {
            validated = new InputReader(spark, scorer.metadata()).read(input, format);
            rejectClashes(validated.columns());
        } catch (BadInputException e) {
            Manifest failed = manifest(Manifest.FAILED, input, format, run, writer, 0, 0, started, e.getMessage(),
                    e.violations());
            writer.writeManifest(failed);
            LOG.warn("file refused: input={} reason={}", input, e.getMessage());
            return failed;
        }
        Dataset<Row> rows = validated.rows().persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Row counts = rows.agg(functions.count(functions.lit(1)), functions.count(functions.col(ValidatedInput.ERRORS)))
                    .first();
            long rowsIn = counts.getLong(0);
            long rejected = counts.getLong(1);
            long bytes = inputBytes(input);
            int partitions = rows.rdd().getNumPartitions();
            OutputLayout layout = OutputLayout.plan(bytes, partitions, targetFileBytes());
            List<String> outputs = scorer.defaultOutputs();
            Dataset<Row> valid = rows.filter(functions.col(ValidatedInput.ERRORS).isNull());
            Dataset<Row> scored = scorer.transform(valid).select(selection(validated, outputs));
            writer.writeScored(scored, format, outputs, layout);
            writer.writeRejected(rows.filter(functions.col(ValidatedInput.ERRORS).isNotNull()), rejected,
                    OutputLayout.single(bytes, partitions));
            Manifest manifest = manifest(Manifest.SUCCEEDED, input, format, run, writer, rowsIn, rejected, started,
                    null, null);
            writer.writeManifest(manifest);
            LOG.info("file scored: input={} model={} version={} rowsIn={} scored={} rejected={} route={} bytes={}"
                    + " partitions={} files={} layout={} ms={}", input, manifest.model(), manifest.version(), rowsIn,
                    rowsIn - rejected, rejected, run.route(), bytes, partitions, layout.files(), layout.mode(),
                    manifest.durationMs());
            return manifest;
        } finally {
            rows.unpersist();
        }
    }

    private Column[] selection(ValidatedInput validated, List<String> outputs) {
        List<Column> columns = new ArrayList<>();
        validated.columns().forEach(c -> columns.add(functions.col(quote(c))));
        if (validated.format() == FileFormat.JSONL) {
            columns.add(functions.col(ValidatedInput.SOURCE));
        }
        outputs.forEach(c -> columns.add(functions.col(quote(c))));
        return columns.toArray(Column[]::new);
    }

    private static String quote(String column) {
        return "`" + column.replace("`", "``") + "`";
    }

    /** An input column named like a pipeline column would be overwritten or break transform. */
    private void rejectClashes(List<String> columns) {
        List<Violation> clashes = new ArrayList<>();
        for (String c : columns) {
            if (scorer.availableOutputs().contains(c)) {
                clashes.add(new Violation(-1, c, "input column has the name of a column the pipeline adds; rename it"));
            }
        }
        if (!clashes.isEmpty()) {
            throw new BadInputException("input columns clash with pipeline output columns", clashes);
        }
    }

    private long inputBytes(String input) {
        try {
            Path path = new Path(input);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.getContentSummary(path).getLength();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size input " + input, e);
        }
    }

    /** Output files are sized by input bytes: {@value #TARGET_FILE_BYTES} (default 128m) per file. */
    private long targetFileBytes() {
        return spark.sparkContext().getConf().getSizeAsBytes(TARGET_FILE_BYTES,
                Long.toString(OutputLayout.DEFAULT_TARGET_FILE_BYTES));
    }

    /** How often a long run logs a progress line: {@value #PROGRESS_INTERVAL} (default 30s). */
    private Duration progressInterval() {
        return Duration.ofSeconds(Math.max(1, spark.sparkContext().getConf().getTimeAsSeconds(PROGRESS_INTERVAL, "30s")));
    }

    private Manifest manifest(String status, String input, FileFormat format, RunInfo run, OutputWriter writer,
                              long rowsIn, long rejected, Instant started, String error, List<Violation> details) {
        Instant finished = Instant.now();
        return new Manifest(status, input, run.inputEtag(), format.extension(), scorer.metadata().name(),
                scorer.metadata().version(), rowsIn, rowsIn - rejected, rejected, run.route(), run.routeReason(),
                run.jobId(), status.equals(Manifest.SUCCEEDED) ? writer.outputLocations() : null,
                status.equals(Manifest.SUCCEEDED) ? scorer.defaultOutputs() : null, started.toString(),
                finished.toString(), finished.toEpochMilli() - started.toEpochMilli(), error, details);
    }
}
