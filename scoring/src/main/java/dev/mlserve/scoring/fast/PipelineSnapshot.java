package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pipeline.snapshot}: an optional, derived file of a bundle that lets a cold start skip the
 * Spark jobs {@code PipelineModel.load} runs for every stage (metadata text file, parquet schema,
 * stage data). It holds the pipeline exactly as {@code PipelineModel.load} returned it when the
 * bundle was written, Java-serialized (the form Spark itself uses to ship stages to executors),
 * plus sample records with the answers {@code transform} gave for them then, so the fast path can be
 * checked before any Spark job runs.
 *
 * <p>It is used only when it provably belongs to this bundle and this runtime: the header names the
 * Spark and Scala versions and the SHA-256 of the files under {@code pipeline/} (names and bytes;
 * Hadoop's hidden {@code .}/{@code _} files excluded); any mismatch, unreadable file or refused class
 * means {@code PipelineModel.load} instead, with a log line saying why. Deserialization accepts only
 * Spark ML, Spark SQL types and rows, Scala, breeze and JDK value classes (an {@link ObjectInputFilter}).
 * A stage field holding a {@code DataFrame} (ImputerModel's surrogates) is stored as its rows and
 * rebuilt as a local DataFrame: building it needs the session, not a Spark job.
 */
public final class PipelineSnapshot {
    public static final String FILE = "pipeline.snapshot";
    private static final Logger LOG = LoggerFactory.getLogger(PipelineSnapshot.class);
    private static final String MAGIC = "mlserve-pipeline-snapshot";
    private static final int FORMAT = 1;
    /** Rows of a DataFrame-valued stage field kept in a snapshot at most (Imputer: one row). */
    private static final int MAX_FRAME_ROWS = 10_000;
    private static final ObjectInputFilter FILTER = ObjectInputFilter.Config.createFilter(
            "maxdepth=200;maxrefs=10000000;maxbytes=2000000000;"
                    + "org.apache.spark.ml.**;org.apache.spark.mllib.**;org.apache.spark.sql.types.**;"
                    // a Dataset only as resolveObject's rebuild of a LocalFrame (the filter sees replacements too)
                    + "org.apache.spark.sql.Dataset;org.apache.spark.sql.catalyst.expressions.GenericRow;"
                    + "org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;"
                    + "org.apache.spark.util.collection.**;"
                    + "dev.mlserve.scoring.fast.PipelineSnapshot$LocalFrame;dev.mlserve.scoring.fast.SelfCheck$Recorded;"
                    + "breeze.**;scala.**;java.lang.*;java.lang.invoke.SerializedLambda;java.util.*;java.math.*;!*");

    /** A snapshot read back: the pipeline and the recorded check (null when none was recorded). */
    record Loaded(PipelineModel model, SelfCheck.Recorded recorded) {
    }

    private PipelineSnapshot() {
    }

    /**
     * Writes the snapshot of a bundle folder whose {@code pipeline/} and {@code bundle.json} are in
     * place: loads the pipeline as a reader would, records {@code transform}'s answers on the samples
     * (the given ones, or synthetic ones from the schema as {@link FastPathScorer#load} makes them)
     * and writes the file atomically. Best effort: on any failure the bundle simply has no snapshot
     * (logged) and loads through {@code PipelineModel.load}.
     *
     * @return true when written
     */
    public static boolean write(SparkSession spark, Path bundleDirectory, BundleMetadata metadata,
                                List<Map<String, Object>> samples) {
        long start = System.nanoTime();
        Path file = bundleDirectory.resolve(FILE);
        Path partial = bundleDirectory.resolve("." + FILE + ".partial");
        try {
            Path pipeline = bundleDirectory.resolve(Bundle.PIPELINE_DIR);
            PipelineModel model = PipelineModel.load(pipeline.toUri().toString());
            PipelineScorer scorer = new PipelineScorer(spark, metadata, model);
            List<Map<String, Object>> checked = samples == null || samples.isEmpty()
                    ? FastPathScorer.syntheticSamples(scorer) : samples;
            FastPathCompiler.Compilation compiled = FastPathCompiler.compile(model, metadata.sparkSchema());
            SelfCheck.Recorded recorded = compiled.supported()
                    ? SelfCheck.record(scorer, FastPathScorer.validator(scorer), compiled.pipeline(), checked) : null;
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(partial))) {
                DataOutputStream header = new DataOutputStream(raw);
                header.writeUTF(MAGIC);
                header.writeInt(FORMAT);
                header.writeUTF(sparkVersion());
                header.writeUTF(scalaVersion());
                header.writeUTF(digest(pipeline));
                header.flush();
                ObjectOutputStream out = new FrameReplacingOutput(raw);
                out.writeObject(model);
                out.writeObject(recorded);
                out.flush();
            }
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("pipeline snapshot written: model={} version={} bytes={} recorded={} ms={}", metadata.name(),
                    metadata.version(), Files.size(file), recorded == null ? 0 : recorded.records.size(),
                    (System.nanoTime() - start) / 1_000_000);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("no pipeline snapshot for model={} version={} (it will load through PipelineModel.load): {}",
                    metadata.name(), metadata.version(), e.toString());
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // a hidden leftover; readers never look at it
            }
            return false;
        }
    }

    /**
     * Reads a bundle's snapshot if it has a usable one.
     *
     * @param spark the session, asked for only if a stage holds a DataFrame; the caller may still
     *     be starting it, so reading overlaps session start
     * @return empty when there is no file or it does not match this bundle and runtime (logged)
     */
    static Optional<Loaded> read(Path bundleDirectory, Supplier<SparkSession> spark) {
        Path file = bundleDirectory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            DataInputStream header = new DataInputStream(raw);
            if (!MAGIC.equals(header.readUTF()) || header.readInt() != FORMAT) {
                return unusable(file, "not a snapshot of format " + FORMAT);
            }
            String spark1 = header.readUTF();
            String scala1 = header.readUTF();
            if (!spark1.equals(sparkVersion()) || !scala1.equals(scalaVersion())) {
                return unusable(file, "written by Spark " + spark1 + " / Scala " + scala1 + ", this runtime is Spark "
                        + sparkVersion() + " / Scala " + scalaVersion());
            }
            String recordedDigest = header.readUTF();
            String actual = digest(bundleDirectory.resolve(Bundle.PIPELINE_DIR));
            if (!recordedDigest.equals(actual)) {
                return unusable(file, "pipeline/ differs from the one it was written from");
            }
            FrameResolvingInput in = new FrameResolvingInput(raw, spark);
            Object model;
            Object recorded;
            try {
                model = in.readObject();
                recorded = in.readObject();
            } catch (java.io.InvalidClassException e) {
                return unusable(file, e + (in.refused == null ? "" : " (refused: " + in.refused + ")"));
            }
            if (!(model instanceof PipelineModel pipeline)
                    || recorded != null && !(recorded instanceof SelfCheck.Recorded)) {
                return unusable(file, "unexpected content");
            }
            LOG.info("pipeline snapshot read: bundle={} stages={} ms={}", bundleDirectory, pipeline.stages().length,
                    (System.nanoTime() - start) / 1_000_000);
            return Optional.of(new Loaded(pipeline, (SelfCheck.Recorded) recorded));
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            return unusable(file, e.toString());
        }
    }

    private static Optional<Loaded> unusable(Path file, String why) {
        LOG.warn("pipeline snapshot {} not used (loading through PipelineModel.load): {}", file, why);
        return Optional.empty();
    }

    static String sparkVersion() {
        return org.apache.spark.package$.MODULE$.SPARK_VERSION();
    }

    static String scalaVersion() {
        return scala.util.Properties.versionNumberString();
    }

    /** SHA-256 over the relative names and bytes of the files Spark reads under {@code pipeline/}. */
    static String digest(Path pipeline) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> all = Files.walk(pipeline)) {
            all.filter(Files::isRegularFile)
                    .filter(p -> !hidden(pipeline.relativize(p)))
                    .forEach(files::add);
        }
        files.sort((a, b) -> pipeline.relativize(a).toString().compareTo(pipeline.relativize(b).toString()));
        byte[] buffer = new byte[1 << 16];
        for (Path f : files) {
            sha.update(pipeline.relativize(f).toString().replace(java.io.File.separatorChar, '/')
                    .getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            try (InputStream in = Files.newInputStream(f)) {
                for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                    sha.update(buffer, 0, n);
                }
            }
            sha.update((byte) 0);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Hadoop's convention: names starting with '.' or '_' (checksums, _SUCCESS) are not data. */
    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            String name = part.toString();
            if (name.startsWith(".") || name.startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    /** A DataFrame-valued field, as its schema and rows. */
    static final class LocalFrame implements Serializable {
        private static final long serialVersionUID = 1L;
        private final StructType schema;
        private final ArrayList<Row> rows;

        LocalFrame(StructType schema, List<Row> rows) {
            this.schema = schema;
            this.rows = new ArrayList<>(rows);
        }
    }

    private static final class FrameReplacingOutput extends ObjectOutputStream {
        FrameReplacingOutput(OutputStream out) throws IOException {
            super(out);
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) throws IOException {
            if (obj instanceof Dataset<?> frame) {
                if (frame.encoder().clsTag().runtimeClass() != Row.class) {
                    throw new NotSerializableException("a stage holds a typed Dataset: " + frame.encoder());
                }
                @SuppressWarnings("unchecked")
                List<Row> rows = ((Dataset<Row>) frame).limit(MAX_FRAME_ROWS + 1).collectAsList();
                if (rows.size() > MAX_FRAME_ROWS) {
                    throw new NotSerializableException("a stage holds a DataFrame of more than " + MAX_FRAME_ROWS
                            + " rows");
                }
                return new LocalFrame(frame.schema(), rows);
            }
            if (obj instanceof SparkSession || obj instanceof org.apache.spark.SparkContext) {
                throw new NotSerializableException("a stage holds " + obj.getClass().getName());
            }
            return obj;
        }
    }

    private static final class FrameResolvingInput extends ObjectInputStream {
        private final Supplier<SparkSession> spark;

        FrameResolvingInput(InputStream in, Supplier<SparkSession> spark) throws IOException {
            super(in);
            this.spark = spark;
            setObjectInputFilter(info -> {
                ObjectInputFilter.Status status = FILTER.checkInput(info);
                if (status == ObjectInputFilter.Status.REJECTED) {
                    refused = info.serialClass() == null ? "a stream limit (depth " + info.depth() + ", references "
                            + info.references() + ", bytes " + info.streamBytes() + ")" : info.serialClass().getName();
                }
                return status;
            });
            enableResolveObject(true);
        }

        /** What the filter refused last: a class name, or a limit. */
        private String refused;

        @Override
        protected Object resolveObject(Object obj) throws ObjectStreamException {
            if (obj instanceof LocalFrame frame) {
                try {
                    return spark.get().createDataFrame(frame.rows, frame.schema);
                } catch (RuntimeException e) {
                    InvalidObjectException failure = new InvalidObjectException("cannot rebuild a stage's DataFrame");
                    failure.initCause(e);
                    throw failure;
                }
            }
            return obj;
        }
    }
}
