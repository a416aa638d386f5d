package dev.mlserve.scoring.io;

import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.fast.FastPipeline;
import dev.mlserve.scoring.score.ModelFailures;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch file scoring, shared by the CLI, the upload Lambda and the EMR job: reads a file (or a
 * folder of part files) through Hadoop paths, validates every row, scores the valid ones, and
 * writes {@code scored/}, {@code rejected.jsonl} and, last, {@code _manifest.json} under the output
 * folder. A re-run replaces the previous result: the old manifest goes first. Scoring is the fast
 * path's, in the validation pass, when the scorer has one for the bundle's outputs (a row it cannot
 * score, where Spark would fail the file, is rejected); Spark's transform otherwise.
 */
public final class FileScorer {
    /** Spark setting: input bytes per output file, e.g. {@code 256m}. */
    public static final String TARGET_FILE_BYTES = "spark.mlserve.output.targetFileBytes";
    /** Spark setting: the progress log interval, e.g. {@code 10s}. */
    public static final String PROGRESS_INTERVAL = "spark.mlserve.progress.interval";
    private static final Logger LOG = LoggerFactory.getLogger(FileScorer.class);

    private final SparkSession spark;
    private final PipelineScorer scorer;
    private final FastPipeline fast;
    /** The input's size when already listed (-1: list it when needed). */
    private final long knownInputBytes;

    /** Scores through Spark's {@code transform}. */
    public FileScorer(SparkSession spark, PipelineScorer scorer) {
        this(spark, scorer, null);
    }

    /**
     * Scores through the scorer's fast path when it is on and makes the bundle's default outputs:
     * validation and scoring in one pass over the rows, no DataFrame transform; through Spark's
     * {@code transform} otherwise.
     */
    public FileScorer(SparkSession spark, FastPathScorer scorer) {
        this(spark, scorer.pipelineScorer(), scorer.fastPipeline() != null
                && scorer.fastPipeline().covers(scorer.defaultOutputs()) ? scorer.fastPipeline() : null);
    }

    private FileScorer(SparkSession spark, PipelineScorer scorer, FastPipeline fast) {
        this(spark, scorer, fast, -1);
    }

    private FileScorer(SparkSession spark, PipelineScorer scorer, FastPipeline fast, long inputBytes) {
        this.spark = spark;
        this.scorer = scorer;
        this.fast = fast;
        this.knownInputBytes = inputBytes;
    }

    /** True when files are scored by the fast path in the validation pass. */
    public boolean usesFastPath() {
        return fast != null;
    }

    /**
     * @param input a Hadoop path or URI (file:, s3: on EMR) of a file or folder
     * @param output the result folder
     * @return the manifest that was written; FAILED when the file itself is unusable
     */
    public Manifest score(String input, FileFormat format, String output, RunInfo run) {
        InputSplits.Sized sizedInput = InputSplits.of(spark, input);
        FileScorer sized = new FileScorer(sizedInput.session(), scorer, fast, sizedInput.bytes());
        try (ScoringProgress progress = ScoringProgress.start(spark, input, progressInterval())) {
            return sized.scoreFile(input, format, output, run);
        }
    }

    private Manifest scoreFile(String input, FileFormat format, String output, RunInfo run) {
        Instant started = Instant.now();
        OutputWriter writer = new OutputWriter(spark, new Path(output));
        writer.clear();
        RowScoring scoring = fast == null ? null : rowScoring();
        ValidatedInput validated;
        try {
            validated = read(input, format, scoring);
        } catch (BadInputException e) {
            Manifest failed = manifest(Manifest.FAILED, input, format, run, writer, 0, 0, started, e.getMessage(),
                    e.violations(), e.omitted());
            writer.writeManifest(failed);
            LOG.warn("file refused: input={} reason={}", input, e.getMessage());
            return failed;
        }
        try {
            return scoreValidated(validated, scoring, input, format, run, writer, started);
        } catch (Exception e) { // Spark's job failure (SparkException) is a checked exception Java does not see
            Optional<String> why = format == FileFormat.PARQUET ? ContentFailures.parquet(e)
                    : ContentFailures.compressed(e);
            if (why.isEmpty()) {
                throw e;
            }
            // the file's bytes, not the service: a FAILED manifest, not a retried fault
            writer.clear();
            String error = (format == FileFormat.PARQUET ? "the Parquet file cannot be read: "
                    : "the file cannot be decompressed: ") + why.get();
            Manifest failed = manifest(Manifest.FAILED, input, format, run, writer, 0, 0, started, error, List.of(),
                    0);
            writer.writeManifest(failed);
            LOG.warn("file refused: input={} reason={}", input, error);
            return failed;
        }
    }

    private Manifest scoreValidated(ValidatedInput validated, RowScoring scoring, String input, FileFormat format,
                                    RunInfo run, OutputWriter writer, Instant started) {
        if (scoring == null) {
            return throughTransform(validated, input, format, run, writer, started);
        }
        try {
            return inOnePass(validated, scoring, input, format, run, writer, started);
        } catch (Exception e) { // Spark's job failure (SparkException) is a checked exception Java does not see
            if (!RowScoring.isFault(e)) {
                throw e;
            }
            // A bug of the fast path, not of the file: Spark's transform scores it instead.
            LOG.warn("fast path failed in file scoring, scoring through transform: input={} model={} error={}",
                    input, scorer.metadata().name(), e.toString());
            writer.clear();
            return throughTransform(read(input, format, null), input, format, run, writer, started);
        }
    }

    private ValidatedInput read(String input, FileFormat format, RowScoring scoring) {
        ValidatedInput validated = new InputReader(spark, scorer.metadata()).read(input, format, scoring);
        rejectClashes(validated.columns());
        return validated;
    }

    /**
     * The fast path: rows validated and scored in one pass, written as they come; counted in the
     * writing stage (accumulator updates of result tasks count once per partition); a second pass
     * over the input only when some row was rejected.
     */
    private Manifest inOnePass(ValidatedInput validated, RowScoring scoring, String input, FileFormat format,
                               RunInfo run, OutputWriter writer, Instant started) {
        Dataset<Row> rows = validated.rows();
        long bytes = inputBytes(input);
        int partitions = rows.rdd().getNumPartitions();
        OutputLayout layout = OutputLayout.plan(bytes, partitions, targetFileBytes(), InputSplits.MIN_SPLIT_BYTES);
        List<String> outputs = scorer.defaultOutputs();
        RowCounts counts = new RowCounts(spark.sparkContext());
        Column[] selection = selection(validated, scoring.outputs());
        writer.writeScored(rows, format, outputs, layout, written -> written.filter(counts.keepValid())
                .select(selection));
        long rowsIn = counts.rows();
        long rejected = counts.rejected();
        writer.writeRejected(rows.filter(functions.col(ValidatedInput.ERRORS).isNotNull()), rejected,
                OutputLayout.single(partitions));
        return finish(input, format, run, writer, started, rowsIn, rejected, bytes, partitions, layout, "fast");
    }

    /** Spark's transform over the valid rows, which are kept (persisted) for the counts and rejected rows. */
    private Manifest throughTransform(ValidatedInput validated, String input, FileFormat format, RunInfo run,
                                      OutputWriter writer, Instant started) {
        Dataset<Row> rows = validated.rows().persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Row counts = rows.agg(functions.count(functions.lit(1)), functions.count(functions.col(ValidatedInput.ERRORS)))
                    .first();
            long rowsIn = counts.getLong(0);
            long rejected = counts.getLong(1);
            long bytes = inputBytes(input);
            int partitions = rows.rdd().getNumPartitions();
            OutputLayout layout = OutputLayout.plan(bytes, partitions, targetFileBytes(), InputSplits.MIN_SPLIT_BYTES);
            List<String> outputs = scorer.defaultOutputs();
            Dataset<Row> valid = rows.filter(functions.col(ValidatedInput.ERRORS).isNull());
            Dataset<Row> scored = scorer.transform(valid).select(selection(validated, outputs));
            try {
                writer.writeScored(scored, format, outputs, layout);
            } catch (Exception e) { // Spark's job failure is a checked SparkException that javac does not see
                Optional<String> reason = ModelFailures.rowFailure(e);
                if (reason.isEmpty()) {
                    throw e instanceof RuntimeException r ? r : new IllegalStateException("scoring failed: " + e, e);
                }
                // Spark's transform fails the whole file on one such row: no part of it is kept.
                writer.clear();
                String error = "the model cannot score a row of the file (Spark's transform stops at the first): "
                        + reason.get();
                Manifest failed = manifest(Manifest.FAILED, input, format, run, writer, rowsIn, rowsIn, started, error,
                        List.of(), 0);
                writer.writeManifest(failed);
                LOG.warn("file refused: input={} reason={}", input, error);
                return failed;
            }
            writer.writeRejected(rows.filter(functions.col(ValidatedInput.ERRORS).isNotNull()), rejected,
                    OutputLayout.single(partitions));
            return finish(input, format, run, writer, started, rowsIn, rejected, bytes, partitions, layout,
                    "transform");
        } finally {
            rows.unpersist();
        }
    }

    private Manifest finish(String input, FileFormat format, RunInfo run, OutputWriter writer, Instant started,
                            long rowsIn, long rejected, long bytes, int partitions, OutputLayout layout, String path) {
        Manifest manifest = manifest(Manifest.SUCCEEDED, input, format, run, writer, rowsIn, rejected, started,
                null, null, 0);
        writer.writeManifest(manifest);
        LOG.info("file scored: input={} model={} version={} rowsIn={} scored={} rejected={} route={} path={} bytes={}"
                + " partitions={} files={} layout={} ms={}", input, manifest.model(), manifest.version(), rowsIn,
                rowsIn - rejected, rejected, run.route(), path, bytes, partitions, layout.files(), layout.mode(),
                manifest.durationMs());
        return manifest;
    }

    /**
     * The fast path with the output columns typed exactly as transform types them (the schema
     * transform gives, planned once per pipeline: no job); null, so transform scores, if that fails.
     */
    private RowScoring rowScoring() {
        try {
            StructType transformed = scorer.transformedSchema();
            StructType types = new StructType(scorer.defaultOutputs().stream().map(transformed::apply)
                    .toArray(StructField[]::new));
            return new RowScoring(fast, types);
        } catch (RuntimeException e) {
            LOG.info("file scoring through transform: model={} output types unknown: {}", scorer.metadata().name(),
                    e.toString());
            return null;
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

    /**
     * The fast path's columns as transform's: the output columns' ML attributes (metadata) and
     * non-nullable types, which the validation pass cannot carry, are put back after the filter
     * that drops rejected rows (a non-null default that no kept row uses gives a non-nullable
     * column). Vectors have become arrays, as from transform.
     */
    private Column[] selection(ValidatedInput validated, StructType outputs) {
        List<Column> columns = new ArrayList<>(Arrays.asList(selection(validated, List.<String>of())));
        for (StructField f : outputs.fields()) {
            Column c = functions.col(quote(f.name()));
            if (f.dataType() instanceof VectorUDT) {
                columns.add(c);
                continue;
            }
            Object zero = f.nullable() ? null : zero(f.dataType());
            columns.add((zero == null ? c : functions.coalesce(c, functions.lit(zero).cast(f.dataType())))
                    .as(f.name(), f.metadata()));
        }
        return columns.toArray(Column[]::new);
    }

    private static Object zero(DataType type) {
        if (type instanceof NumericType) {
            return 0;
        }
        if (type instanceof BooleanType) {
            return false;
        }
        return type instanceof StringType ? "" : null;
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
        if (knownInputBytes >= 0) {
            return knownInputBytes;
        }
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
                              long rowsIn, long rejected, Instant started, String error, List<Violation> details,
                              long omitted) {
        Instant finished = Instant.now();
        return new Manifest(status, run.source() != null ? run.source() : input, run.inputEtag(),
                run.inputVersionId(), format.extension(), scorer.metadata().name(),
                scorer.metadata().version(), rowsIn, rowsIn - rejected, rejected, run.route(), run.routeReason(),
                run.jobId(), status.equals(Manifest.SUCCEEDED) ? writer.outputLocations() : null,
                status.equals(Manifest.SUCCEEDED) ? scorer.defaultOutputs() : null, started.toString(),
                finished.toString(), finished.toEpochMilli() - started.toEpochMilli(), error, details,
                omitted > 0 ? omitted : null);
    }
}
