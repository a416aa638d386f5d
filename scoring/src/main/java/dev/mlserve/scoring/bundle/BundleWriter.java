package dev.mlserve.scoring.bundle;

import dev.mlserve.scoring.fast.PipelineSnapshot;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Writes bundles into a local root: {@code <root>/<name>/<version>/{bundle.json,pipeline/}} (plus
 * an optional {@code samples.jsonl} and the derived {@code pipeline.snapshot}) and
 * {@code <root>/<name>/LATEST}. The folder is assembled under a temporary name and moved into
 * place, so a half-written bundle is never visible as a version.
 */
public final class BundleWriter {
    private final Path root;

    public BundleWriter(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** Saves a fitted pipeline as a new bundle version and points LATEST at it. */
    public Bundle write(PipelineModel model, String name, String version, StructType inputSchema,
                        List<String> outputs, Map<String, Double> metrics) {
        return write(model, name, version, inputSchema, outputs, metrics, List.of());
    }

    /**
     * Same, also writing {@code samples.jsonl}: input records (say 200 rows of the training data)
     * the fast path is checked on against Spark's transform when the bundle loads. Empty: no file.
     */
    public Bundle write(PipelineModel model, String name, String version, StructType inputSchema,
                        List<String> outputs, Map<String, Double> metrics, List<Map<String, Object>> samples) {
        BundleMetadata metadata = metadata(model, name, version, inputSchema, outputs, metrics, samples);
        return assemble(metadata, samples, staging -> model.write().overwrite().save(staging.toUri().toString()));
    }

    /**
     * Wraps a PipelineModel that any Spark job saved: the pipeline folder is copied as it is, after
     * checking that the pipeline accepts the given input schema.
     */
    public Bundle wrap(PipelineModel loaded, Path savedPipeline, String name, String version,
                       StructType inputSchema, List<String> outputs) {
        return wrap(loaded, savedPipeline, name, version, inputSchema, outputs, List.of());
    }

    /** Same, also writing {@code samples.jsonl} from the given records (empty: no file). */
    public Bundle wrap(PipelineModel loaded, Path savedPipeline, String name, String version,
                       StructType inputSchema, List<String> outputs, List<Map<String, Object>> samples) {
        return wrap(loaded, savedPipeline, name, version, inputSchema, outputs, samples, Map.of());
    }

    /**
     * Same, recording where the pipeline came from in bundle.json's {@code source} (say an MLflow
     * model's run id); empty: no {@code source}.
     */
    public Bundle wrap(PipelineModel loaded, Path savedPipeline, String name, String version,
                       StructType inputSchema, List<String> outputs, List<Map<String, Object>> samples,
                       Map<String, Object> source) {
        BundleMetadata metadata = metadata(loaded, name, version, inputSchema, outputs, Map.of(), samples)
                .withSource(source);
        return assemble(metadata, samples, staging -> BundleFiles.copyTree(savedPipeline, staging));
    }

    private static BundleMetadata metadata(PipelineModel model, String name, String version, StructType inputSchema,
                                           List<String> outputs, Map<String, Double> metrics,
                                           List<Map<String, Object>> samples) {
        BundleMetadata draft = new BundleMetadata(name, version, org.apache.spark.package$.MODULE$.SPARK_VERSION(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                withVectorSizes(BundleMetadata.fieldsOf(inputSchema), samples), outputs, metrics);
        List<String> available = PipelineScorer.Outputs.added(model, draft.sparkSchema());
        List<String> chosen = outputs == null || outputs.isEmpty() ? PipelineScorer.Outputs.standard(available) : outputs;
        for (String o : chosen) {
            if (!available.contains(o)) {
                throw new IllegalArgumentException("output column '" + o + "' is not produced by the pipeline (it adds: "
                        + String.join(", ", available) + ")");
            }
        }
        return draft.withOutputs(chosen);
    }

    /**
     * A vector field whose schema gives no size takes the size its sample values share (the
     * training data's), so its column carries the ML attributes stages such as VectorAssembler
     * otherwise read off a first row; with no samples, or samples of several sizes, it stays unsized.
     */
    static List<FieldSpec> withVectorSizes(List<FieldSpec> fields, List<Map<String, Object>> samples) {
        if (samples == null || samples.isEmpty()
                || fields.stream().noneMatch(f -> f.type() == FieldType.VECTOR && f.size() == null)) {
            return fields;
        }
        RecordValidator validator = new RecordValidator(fields, RecordValidator.Mode.JSON, true);
        Map<Integer, java.util.Set<Integer>> sizes = new java.util.HashMap<>();
        for (Map<String, Object> sample : samples) {
            Object[] values = validator.convert(0, sample, new java.util.ArrayList<>());
            for (int i = 0; values != null && i < values.length; i++) {
                if (values[i] instanceof org.apache.spark.ml.linalg.Vector v) {
                    sizes.computeIfAbsent(i, k -> new java.util.HashSet<>()).add(v.size());
                }
            }
        }
        List<FieldSpec> sized = new java.util.ArrayList<>(fields);
        for (int i = 0; i < sized.size(); i++) {
            java.util.Set<Integer> seen = sizes.get(i);
            if (sized.get(i).type() == FieldType.VECTOR && sized.get(i).size() == null && seen != null
                    && seen.size() == 1) {
                sized.set(i, sized.get(i).withSize(seen.iterator().next()));
            }
        }
        return sized;
    }

    private interface PipelineSaver {
        void save(Path pipelineDir) throws IOException;
    }

    private Bundle assemble(BundleMetadata metadata, List<Map<String, Object>> samples, PipelineSaver saver) {
        Path modelDir = root.resolve(metadata.name());
        Path target = modelDir.resolve(metadata.version());
        try {
            if (Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString(), null,
                        "bundle version already exists; choose a new version");
            }
            Files.createDirectories(modelDir);
            Path staging = Files.createTempDirectory(modelDir, "." + metadata.version() + ".staging-");
            saver.save(staging.resolve(Bundle.PIPELINE_DIR));
            BundleFiles.writeMetadata(staging, metadata);
            if (samples != null && !samples.isEmpty()) {
                writeSamples(staging.resolve(Bundle.SAMPLES_FILE), samples);
            }
            writeSnapshot(staging, metadata, samples);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            BundleFiles.writeLatest(root, metadata.name(), metadata.version());
            return new Bundle(metadata, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write bundle " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code pipeline.snapshot} (see {@link PipelineSnapshot}): needs the session that saved the
     * pipeline; without one (or on any failure, logged) the bundle has none and loads through
     * {@code PipelineModel.load}.
     */
    private static void writeSnapshot(Path staging, BundleMetadata metadata, List<Map<String, Object>> samples) {
        scala.Option<SparkSession> active = SparkSession.getActiveSession();
        SparkSession spark = active.isDefined() ? active.get() : SparkSession.getDefaultSession().getOrElse(() -> null);
        if (spark != null) {
            PipelineSnapshot.write(spark, staging, metadata, samples);
        }
    }

    private static void writeSamples(Path file, List<Map<String, Object>> samples) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Map<String, Object> record : samples) {
                out.write(Json.MAPPER.writeValueAsString(record));
                out.write('\n');
            }
        }
    }
}
