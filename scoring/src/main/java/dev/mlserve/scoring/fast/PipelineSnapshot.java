package dev.mlserve.scoring.fast;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
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
 * A stage field holding a {@code DataFrame} (ImputerModel's surrogates) is stored as its rows: the
 * fast path reads them as they are, so reading a snapshot needs no session at all; the field is
 * rebuilt as a local DataFrame (the session, no Spark job) before anything runs {@code transform}.
 */
public final class PipelineSnapshot {
    public static final String FILE = "pipeline.snapshot";
    private static final Logger LOG = LoggerFactory.getLogger(PipelineSnapshot.class);
    private static final String MAGIC = "mlserve-pipeline-snapshot";
    static final int FORMAT = 4;
    /** Rows of a DataFrame-valued stage field kept in a snapshot at most (Imputer: one row). */
    private static final int MAX_FRAME_ROWS = 10_000;
    /**
     * The allow-list and its limits, sized to real bundles with room to spare (the test bundles
     * here nest at most 13 deep with 12,000 references in 224 KB; a 500-tree forest of depth 30
     * nests about 70 deep). Hash-based JDK sets are refused (nested sets whose hashing explodes on
     * read, a "SerialDOS"); no stage needs them (Spark's params use LinkedHashMap, kept). Arrays are also refused
     * when they declare more elements than the rest of the file could hold, so a tiny file cannot
     * make the reader allocate a huge one (see {@link FilteredInput}).
     */
    private static final ObjectInputFilter FILTER = ObjectInputFilter.Config.createFilter(
            "maxdepth=100;maxrefs=20000000;maxbytes=1073741824;"
                    + "!java.util.HashSet;!java.util.LinkedHashSet;!java.util.Hashtable;"
                    + "org.apache.spark.ml.**;org.apache.spark.mllib.**;org.apache.spark.sql.types.**;"
                    + "org.apache.spark.sql.catalyst.expressions.GenericRow;"
                    + "org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;"
                    + "org.apache.spark.util.collection.**;"
                    + "dev.mlserve.scoring.fast.PipelineSnapshot$FrameRef;dev.mlserve.scoring.fast.SelfCheck$Recorded;"
                    + "dev.mlserve.scoring.score.PipelineScorer$Planned;"
                    // a pipeline compiled from Spark's plan: its bound expressions, as Spark ships them to tasks
                    + "dev.mlserve.scoring.fast.FastPipeline;dev.mlserve.scoring.fast.Step;dev.mlserve.scoring.fast.PlanCompiler$PlanStep;"
                    + "dev.mlserve.scoring.fast.PlanCompiler$PlanStep$Node;org.apache.spark.sql.catalyst.**;"
                    + "org.apache.spark.unsafe.types.UTF8String;org.apache.spark.unsafe.types.CalendarInterval;"
                    + "breeze.**;scala.**;java.lang.*;java.lang.invoke.SerializedLambda;java.util.*;java.math.*;!*");

    /**
     * A snapshot read back: the pipeline, the recorded check (null when none was recorded) and the
     * rows of its stages' DataFrame-valued fields. Those fields are null until {@link #attach}
     * rebuilds them as local DataFrames; the fast path reads the rows directly.
     */
    static final class Loaded implements StageFrames {
        private final PipelineModel model;
        private final SelfCheck.Recorded recorded;
        private final List<FrameRef> frames;
        private final FastPipeline plan;
        private final PipelineScorer.Planned planned;
        private boolean attached;

        Loaded(PipelineModel model, SelfCheck.Recorded recorded, List<FrameRef> frames, FastPipeline plan,
               PipelineScorer.Planned planned) {
            this.model = model;
            this.recorded = recorded;
            this.frames = List.copyOf(frames);
            this.plan = plan;
            this.planned = planned;
            this.attached = frames.isEmpty();
        }

        PipelineModel model() {
            return model;
        }

        /**
         * The pipeline compiled from Spark's plan when the bundle was written (no hand-written steps
         * cover it), else null: evaluated without a session, so a cold start answers at once.
         */
        FastPipeline plan() {
            return plan;
        }

        /** The schema and outputs planning gave when the snapshot was written. */
        PipelineScorer.Planned planned() {
            return planned;
        }

        SelfCheck.Recorded recorded() {
            return recorded;
        }

        @Override
        public Optional<List<Row>> rows(Transformer stage, String field) {
            return frames.stream()
                    .filter(f -> f.stageUid.equals(stage.uid()) && f.field.equals(field))
                    .findFirst()
                    .map(f -> List.copyOf(f.rows));
        }

        /**
         * Gives every DataFrame-valued field its local DataFrame (needs the session, runs no Spark
         * job); after this the pipeline is what {@code PipelineModel.load} returns. Idempotent.
         */
        synchronized void attach(SparkSession spark) {
            if (attached) {
                return;
            }
            for (FrameRef f : frames) {
                Transformer stage = stage(model, f.stageUid);
                if (stage == null) {
                    throw new IllegalStateException("snapshot names stage " + f.stageUid + ", the pipeline has none");
                }
                try {
                    Field target = Class.forName(f.declaringClass, false, stage.getClass().getClassLoader())
                            .getDeclaredField(f.field);
                    target.setAccessible(true);
                    target.set(stage, spark.createDataFrame(f.rows, f.schema));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot rebuild " + f.declaringClass + "." + f.field + " of stage "
                            + f.stageUid + ": " + e, e);
                }
            }
            attached = true;
        }
    }

    private PipelineSnapshot() {
    }

    /**
     * Writes the snapshot of a bundle folder whose {@code pipeline/} and {@code bundle.json} are in
     * place: loads the pipeline as a reader would, records {@code transform}'s answers on the samples
     * (the given ones, or synthetic ones from the schema as {@link FastPathScorer#load} makes them)
     * and writes the file atomically. Before the file is put in place it is read back the way a cold
     * start reads it, and the pipeline it holds must answer {@code transform} on the samples exactly
     * like the loaded one, whatever the fast path supports: a stage whose fitted state does not
     * survive Java serialization (Word2VecModel keeps its vectors in a {@code transient} field) gets
     * no snapshot. Best effort: on any failure the bundle simply has no snapshot (logged) and loads
     * through {@code PipelineModel.load}.
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
            FastPipeline plan = null;
            if (!compiled.supported()) {
                FastPathCompiler.Compilation fromPlan = PlanCompiler.compile(spark, model, metadata.sparkSchema());
                plan = fromPlan.supported() ? fromPlan.pipeline() : null;
            }
            FastPipeline recordedFor = compiled.supported() ? compiled.pipeline() : plan;
            SelfCheck.Recorded recorded = recordedFor != null
                    ? SelfCheck.record(scorer, FastPathScorer.validator(scorer), recordedFor, checked) : null;
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(partial))) {
                DataOutputStream header = new DataOutputStream(raw);
                header.writeUTF(MAGIC);
                header.writeInt(FORMAT);
                header.writeUTF(sparkVersion());
                header.writeUTF(scalaVersion());
                header.writeUTF(digest(pipeline));
                header.flush();
                List<FrameRef> frames = new ArrayList<>();
                Set<Object> held = Collections.newSetFromMap(new IdentityHashMap<>());
                collectFrames(model, frames, held);
                ObjectOutputStream out = new FrameReplacingOutput(raw, held);
                out.writeObject(model);
                out.writeObject(recorded);
                out.writeObject(new ArrayList<>(frames));
                out.writeObject(plan);
                out.writeObject(scorer.planned());
                out.flush();
            }
            verifyReadBack(spark, bundleDirectory, partial, metadata, scorer, checked);
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
     * The snapshot as a cold start would read it must hold a pipeline whose {@code transform} answers
     * the samples exactly as the loaded pipeline's does (the JSON of both answers compared; a
     * failure of either counts as a difference).
     *
     * @throws IllegalStateException naming the first sample that differs and the stages whose
     *     {@code transient} state did not come back
     */
    private static void verifyReadBack(SparkSession spark, Path bundleDirectory, Path written, BundleMetadata metadata,
                                       PipelineScorer loaded, List<Map<String, Object>> samples) {
        Loaded back = read(bundleDirectory, written)
                .orElseThrow(() -> new IllegalStateException("the snapshot just written cannot be read back"));
        back.attach(spark);
        PipelineScorer fromSnapshot = new PipelineScorer(spark, metadata, back.model());
        List<String> outputs = loaded.availableOutputs();
        // All samples in one transform each; one by one only to name a difference (or when the
        // loaded pipeline itself fails on some sample, so the others are still compared).
        if (answer(loaded, samples, outputs).equals(answer(fromSnapshot, samples, outputs))) {
            return;
        }
        for (int i = 0; i < samples.size(); i++) {
            List<Map<String, Object>> one = List.of(samples.get(i));
            String expected = answer(loaded, one, outputs);
            String actual = answer(fromSnapshot, one, outputs);
            if (!expected.equals(actual)) {
                List<String> lost = lostTransientState(loaded.model(), back.model());
                throw new IllegalStateException("the pipeline read back from its snapshot answers sample " + i
                        + " differently from the loaded pipeline (" + abbreviate(actual) + " instead of "
                        + abbreviate(expected) + ")" + (lost.isEmpty() ? ""
                        : "; fitted state lost in serialization: " + String.join(", ", lost)));
            }
        }
        throw new IllegalStateException("the pipeline read back from its snapshot answers the samples, taken"
                + " together, differently from the loaded pipeline");
    }

    private static String answer(PipelineScorer scorer, List<Map<String, Object>> records, List<String> outputs) {
        try {
            return Json.MAPPER.writeValueAsString(scorer.predict(records, outputs));
        } catch (Exception e) { // transform can fail with a checked SparkException
            return "failed: " + e;
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    /**
     * Stage fields marked {@code transient} that hold a value in the loaded pipeline and none in the
     * one read back ({@code Class.field} of each), excluding the flags of Scala's lazy values (they
     * are recomputed on first use).
     */
    private static List<String> lostTransientState(PipelineModel loaded, PipelineModel back) {
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < loaded.stages().length && i < back.stages().length; i++) {
            for (Class<?> c = loaded.stages()[i].getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    int mod = f.getModifiers();
                    if (!Modifier.isTransient(mod) || Modifier.isStatic(mod) || f.getType().isPrimitive()
                            || f.getName().contains("bitmap$")) {
                        continue;
                    }
                    try {
                        f.setAccessible(true);
                        if (f.get(loaded.stages()[i]) != null && f.get(back.stages()[i]) == null) {
                            lost.add(c.getSimpleName() + "." + f.getName());
                        }
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        // not readable here: not reported
                    }
                }
            }
        }
        return lost;
    }

    /**
     * Reads a bundle's snapshot if it has a usable one. Needs no session: DataFrame-valued stage
     * fields come back as rows ({@link Loaded#attach} makes them DataFrames).
     *
     * @return empty when there is no file or it does not match this bundle and runtime (logged)
     */
    static Optional<Loaded> read(Path bundleDirectory) {
        return read(bundleDirectory, bundleDirectory.resolve(FILE));
    }

    private static Optional<Loaded> read(Path bundleDirectory, Path file) {
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
            FilteredInput in = new FilteredInput(raw, Files.size(file));
            Object model;
            Object recorded;
            Object frames;
            Object plan;
            Object transformed;
            try {
                model = in.readObject();
                recorded = in.readObject();
                frames = in.readObject();
                plan = in.readObject();
                transformed = in.readObject();
            } catch (java.io.InvalidClassException e) {
                return unusable(file, e + (in.refused == null ? "" : " (refused: " + in.refused + ")"));
            }
            if (!(model instanceof PipelineModel pipeline)
                    || recorded != null && !(recorded instanceof SelfCheck.Recorded)
                    || !(frames instanceof ArrayList<?> list) || !list.stream().allMatch(FrameRef.class::isInstance)
                    || plan != null && !(plan instanceof FastPipeline) || !(transformed instanceof PipelineScorer.Planned)) {
                return unusable(file, "unexpected content");
            }
            @SuppressWarnings("unchecked")
            List<FrameRef> frameRefs = (List<FrameRef>) list;
            LOG.info("pipeline snapshot read: bundle={} stages={} ms={}", bundleDirectory, pipeline.stages().length,
                    (System.nanoTime() - start) / 1_000_000);
            return Optional.of(new Loaded(pipeline, (SelfCheck.Recorded) recorded, frameRefs, (FastPipeline) plan,
                    (PipelineScorer.Planned) transformed));
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            return unusable(file, e.toString());
        }
    }

    /** True when the bundle has a snapshot this runtime would use (the bench refreshes stale ones). */
    public static boolean usable(Path bundleDirectory) {
        return read(bundleDirectory).isPresent();
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

    /** Every DataFrame-valued field of the pipeline's stages (nested pipelines included), as rows. */
    private static void collectFrames(PipelineModel model, List<FrameRef> frames, Set<Object> held)
            throws NotSerializableException {
        for (Transformer stage : model.stages()) {
            if (stage instanceof PipelineModel nested) {
                collectFrames(nested, frames, held);
                continue;
            }
            for (Class<?> c = stage.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field field : c.getDeclaredFields()) {
                    if (Modifier.isStatic(field.getModifiers()) || !Dataset.class.isAssignableFrom(field.getType())) {
                        continue;
                    }
                    Object value;
                    try {
                        field.setAccessible(true);
                        value = field.get(stage);
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        throw new NotSerializableException("cannot read " + c.getName() + "." + field.getName() + ": " + e);
                    }
                    if (value instanceof Dataset<?> frame && !Modifier.isTransient(field.getModifiers())) {
                        frames.add(FrameRef.of(stage.uid(), c.getName(), field.getName(), frame));
                        held.add(frame);
                    }
                }
            }
        }
    }

    private static Transformer stage(PipelineModel model, String uid) {
        for (Transformer stage : model.stages()) {
            if (stage.uid().equals(uid) && !(stage instanceof PipelineModel)) {
                return stage;
            }
            if (stage instanceof PipelineModel nested) {
                Transformer found = stage(nested, uid);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** A DataFrame-valued field of a stage, as its schema and rows. */
    static final class FrameRef implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String stageUid;
        private final String declaringClass;
        private final String field;
        private final StructType schema;
        private final ArrayList<Row> rows;

        private FrameRef(String stageUid, String declaringClass, String field, StructType schema, List<Row> rows) {
            this.stageUid = stageUid;
            this.declaringClass = declaringClass;
            this.field = field;
            this.schema = schema;
            this.rows = new ArrayList<>(rows);
        }

        static FrameRef of(String stageUid, String declaringClass, String field, Dataset<?> frame)
                throws NotSerializableException {
            if (frame.encoder().clsTag().runtimeClass() != Row.class) {
                throw new NotSerializableException("stage " + stageUid + " holds a typed Dataset in " + field);
            }
            @SuppressWarnings("unchecked")
            List<Row> rows = ((Dataset<Row>) frame).limit(MAX_FRAME_ROWS + 1).collectAsList();
            if (rows.size() > MAX_FRAME_ROWS) {
                throw new NotSerializableException("stage " + stageUid + " holds a DataFrame of more than "
                        + MAX_FRAME_ROWS + " rows in " + field);
            }
            return new FrameRef(stageUid, declaringClass, field, frame.schema(), rows);
        }
    }

    /** Writes the pipeline with its stages' DataFrames left out (they travel as {@link FrameRef}s). */
    private static final class FrameReplacingOutput extends ObjectOutputStream {
        private final Set<Object> held;

        FrameReplacingOutput(OutputStream out, Set<Object> held) throws IOException {
            super(out);
            this.held = held;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) throws IOException {
            if (obj instanceof Dataset<?>) {
                if (!held.contains(obj)) {
                    throw new NotSerializableException("a Dataset that is not a field of a pipeline stage");
                }
                return null;
            }
            if (obj instanceof SparkSession || obj instanceof org.apache.spark.SparkContext) {
                throw new NotSerializableException("a stage holds " + obj.getClass().getName());
            }
            return obj;
        }
    }

    /** Reads with the allow-list, remembering what it refused for the log line. */
    private static final class FilteredInput extends ObjectInputStream {
        /** What the filter refused last: a class name, or a limit. */
        private String refused;

        FilteredInput(InputStream in, long fileBytes) throws IOException {
            super(in);
            setObjectInputFilter(info -> {
                if (info.arrayLength() > Math.max(0, fileBytes - info.streamBytes())) {
                    // every element takes at least one byte of the stream: the file cannot hold it
                    refused = "an array of " + info.arrayLength() + " elements in a file of " + fileBytes + " bytes";
                    return ObjectInputFilter.Status.REJECTED;
                }
                ObjectInputFilter.Status status = FILTER.checkInput(info);
                if (status == ObjectInputFilter.Status.REJECTED) {
                    refused = info.serialClass() == null ? "a stream limit (depth " + info.depth() + ", references "
                            + info.references() + ", bytes " + info.streamBytes() + ")" : info.serialClass().getName();
                }
                return status;
            });
        }
    }
}
