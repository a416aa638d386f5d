package dev.mlserve.scoring.score;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.HadoopBundle;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.BundleFormatException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.schema.TypedRecords;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Scores with plain Spark: records become a DataFrame of the bundle's schema, then transform. */
public final class PipelineScorer implements Scorer {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineScorer.class);

    private final Supplier<SparkSession> spark;
    private final BundleMetadata metadata;
    private final PipelineModel model;
    private final StructType inputSchema;
    private final List<String> availableOutputs;
    private final List<String> defaultOutputs;
    private final RecordValidator validator;
    private volatile StructType transformedSchema;

    public PipelineScorer(SparkSession spark, BundleMetadata metadata, PipelineModel model) {
        this(supplierOf(spark), metadata, model);
    }

    /**
     * Over a session asked for only when Spark runs (predict, transform): a pipeline read from a
     * snapshot is ready before the session is, and the supplier completes what transform needs.
     */
    public PipelineScorer(Supplier<SparkSession> spark, BundleMetadata metadata, PipelineModel model) {
        this(spark, metadata, model, null);
    }

    /**
     * Same, with the schema {@code transform} gives, recorded earlier (a snapshot holds it): a stage
     * such as SQLTransformer needs a session even to plan its schema, and a cold start must not wait
     * for one.
     *
     * @param planned the output schema of {@code transform} over the bundle's input and the
     *     {@link #availableOutputs} then, or null to plan them
     */
    public PipelineScorer(Supplier<SparkSession> spark, BundleMetadata metadata, PipelineModel model,
                          Planned planned) {
        this.spark = Objects.requireNonNull(spark, "spark");
        this.metadata = metadata;
        this.model = model;
        this.inputSchema = metadata.sparkSchema();
        this.transformedSchema = planned == null ? null : planned.transformed();
        this.availableOutputs = planned != null ? List.copyOf(planned.availableOutputs())
                : Outputs.added(model, inputSchema);
        this.defaultOutputs = metadata.outputs().isEmpty()
                ? Outputs.standard(availableOutputs)
                : checkOutputs(metadata.outputs(), availableOutputs);
        this.validator = new RecordValidator(metadata.inputSchema(), RecordValidator.Mode.JSON, false);
    }

    /** What planning the pipeline over the bundle's input gave: kept in a snapshot. */
    public record Planned(StructType transformed, List<String> availableOutputs) implements java.io.Serializable {
    }

    /** This scorer's planning, for a snapshot (plans it now if it was not yet). */
    public Planned planned() {
        return new Planned(transformedSchema(), new java.util.ArrayList<>(availableOutputs));
    }

    /** Loads the bundle's pipeline (the slow part of a cold start). */
    public static PipelineScorer load(SparkSession spark, Bundle bundle) {
        return load(spark, bundle.metadata(), bundle.pipelineDirectory().toUri().toString(),
                bundle.directory().toString());
    }

    /** Loads a bundle in place through Hadoop paths ({@code s3://} on EMR): no local copy. */
    public static PipelineScorer load(SparkSession spark, HadoopBundle bundle) {
        return load(spark, bundle.metadata(), bundle.pipelineUri(), bundle.uri());
    }

    private static PipelineScorer load(SparkSession spark, BundleMetadata metadata, String pipelineUri,
                                       String where) {
        long start = System.nanoTime();
        PipelineModel model;
        try {
            model = PipelineModel.load(pipelineUri);
        } catch (RuntimeException e) {
            throw new BundleFormatException("cannot load the pipeline of bundle " + where + ": " + e.getMessage(), e);
        }
        PipelineScorer scorer = new PipelineScorer(spark, metadata, model);
        LOG.info("bundle loaded: model={} version={} stages={} ms={}", metadata.name(), metadata.version(),
                model.stages().length, (System.nanoTime() - start) / 1_000_000);
        return scorer;
    }

    @Override
    public BundleMetadata metadata() {
        return metadata;
    }

    @Override
    public List<String> availableOutputs() {
        return availableOutputs;
    }

    public List<String> defaultOutputs() {
        return defaultOutputs;
    }

    /** The session transform runs on (waits for it when it is still starting). */
    public SparkSession session() {
        return spark.get();
    }

    private static Supplier<SparkSession> supplierOf(SparkSession spark) {
        Objects.requireNonNull(spark, "spark");
        return () -> spark;
    }

    /**
     * The pipeline's stage objects (what the fast path compiles). Run it through {@link #transform}
     * or {@link #predict}, not {@code model().transform}: a pipeline read from a snapshot gets its
     * DataFrame-valued fields back when {@link #session()} is first called.
     */
    public PipelineModel model() {
        return model;
    }

    @Override
    public List<Map<String, Object>> predict(TypedRecords records, List<String> outputs) {
        List<String> columns = resolveOutputs(outputs);
        List<Object[]> values = records.requireSchema(metadata.inputSchema()).rows();
        List<Row> rows = new ArrayList<>(values.size());
        for (Object[] v : values) {
            rows.add(RowFactory.create(v));
        }
        Column[] selected = columns.stream().map(functions::col).toArray(Column[]::new);
        List<Row> scored = collect(rows, selected);
        List<Map<String, Object>> predictions = new ArrayList<>(scored.size());
        for (Row row : scored) {
            predictions.add(OutputValues.toMap(row, columns));
        }
        return predictions;
    }

    /**
     * Spark's answer for valid rows. A row that a stage refuses (an unseen label under
     * {@code handleInvalid=error}) is the caller's mistake: a {@link BadInputException} naming the
     * record and the stage's input field, never a fault.
     */
    private List<Row> collect(List<Row> rows, Column[] selected) {
        try {
            return transform(session().createDataFrame(rows, inputSchema)).select(selected).collectAsList();
        } catch (Exception e) { // Spark's job failure is a checked SparkException that javac does not see
            if (ModelFailures.rowFailure(e).isEmpty()) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException("transform failed: " + e, e);
            }
            List<Dataset<Row>> single = rows.stream()
                    .map(r -> session().createDataFrame(List.of(r), inputSchema))
                    .toList();
            List<Violation> violations = ModelFailures.violations(model, single, Set.of(inputSchema.fieldNames()));
            if (violations.isEmpty()) {
                throw new IllegalStateException("transform failed though each record alone is scored: "
                        + e.getMessage(), e);
            }
            throw ModelFailures.badInput(violations, rows.size());
        }
    }

    @Override
    public Dataset<Row> transform(Dataset<Row> input) {
        session(); // a snapshot-read pipeline is complete only once its supplier has run
        return model.transform(input);
    }

    /**
     * The schema {@link #transform} gives rows of the bundle's fields, every field nullable (as
     * files are read): Spark types, nullability and ML attributes of the columns it adds. Planned
     * on an empty frame (no Spark job) the first time, then remembered, since the pipeline never
     * changes (the planning costs about 0.1 s per call, paid per file before).
     */
    public StructType transformedSchema() {
        StructType schema = transformedSchema;
        if (schema == null) {
            StructType fields = new StructType();
            for (FieldSpec f : metadata.inputSchema()) {
                fields = fields.add(f.sparkField(true));
            }
            schema = transform(session().createDataFrame(List.of(), fields)).schema();
            transformedSchema = schema;
        }
        return schema;
    }

    /** The caller's output selection, or the bundle's default; unknown names are a 400. */
    public List<String> resolveOutputs(List<String> requested) {
        if (requested == null || requested.isEmpty()) {
            return defaultOutputs;
        }
        return checkOutputs(requested, availableOutputs);
    }

    private static List<String> checkOutputs(List<String> requested, List<String> available) {
        List<Violation> problems = new ArrayList<>();
        Set<String> unique = new LinkedHashSet<>();
        for (String name : requested) {
            if (!available.contains(name)) {
                problems.add(new Violation(-1, "outputs", "unknown output column '" + Violation.shown(name)
                        + "' (available: " + String.join(", ", available) + ")"));
            } else {
                unique.add(name);
            }
        }
        if (!problems.isEmpty()) {
            throw new BadInputException("unknown output column", problems);
        }
        return List.copyOf(unique);
    }

    /** Which columns a pipeline adds, and which of them are answered by default. */
    public static final class Outputs {
        /** The columns Spark's classifiers and regressors produce, in answer order. */
        public static final List<String> STANDARD = List.of("prediction", "probability", "predictedLabel");

        private Outputs() {
        }

        public static List<String> added(PipelineModel model, StructType inputSchema) {
            StructType out;
            try {
                out = model.transformSchema(inputSchema);
            } catch (RuntimeException e) {
                throw new BundleFormatException("the pipeline does not accept the bundle's input schema "
                        + inputSchema.simpleString() + ": " + e.getMessage(), e);
            }
            List<String> inputs = Arrays.asList(inputSchema.fieldNames());
            return Arrays.stream(out.fieldNames()).filter(n -> !inputs.contains(n)).toList();
        }

        public static List<String> standard(List<String> available) {
            List<String> standard = STANDARD.stream().filter(available::contains).toList();
            if (!standard.isEmpty()) {
                return standard;
            }
            // A pipeline without a predictor (a pure feature pipeline): answer its last column.
            return available.isEmpty() ? List.of() : List.of(available.get(available.size() - 1));
        }
    }
}
