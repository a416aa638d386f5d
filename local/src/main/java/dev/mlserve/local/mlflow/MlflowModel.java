package dev.mlserve.local.mlflow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.bundle.InputSchemas;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.json.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A model folder as {@code mlflow.spark.log_model} / {@code save_model} writes it: the
 * {@code MLmodel} YAML file, the PipelineModel under the spark flavor's {@code model_data} folder
 * (usually {@code sparkml/}), optionally a signature and an {@code input_example.json}. Every
 * reason such a folder cannot become a bundle is a {@link BadInputException} naming it.
 */
public final class MlflowModel {
    public static final String MLMODEL_FILE = "MLmodel";
    static final String SPARK_FLAVOR = "spark";

    private final Path dir;
    private final Map<String, Object> mlmodel;
    private final Map<String, Object> spark;

    private MlflowModel(Path dir, Map<String, Object> mlmodel, Map<String, Object> spark) {
        this.dir = dir;
        this.mlmodel = mlmodel;
        this.spark = spark;
    }

    /**
     * Reads {@code DIR/MLmodel} and checks what can be checked without Spark: a spark flavor, a
     * PySpark version of our Spark's major.minor, a pipeline folder saved by Spark's JVM writer.
     *
     * @param ourSparkVersion the Spark this program runs, e.g. {@code 3.5.6}
     */
    public static MlflowModel open(Path dir, String ourSparkVersion) {
        Path file = dir.resolve(MLMODEL_FILE);
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(dir + " is not an MLflow model folder: it has no " + MLMODEL_FILE + " file");
        }
        Map<String, Object> mlmodel;
        try (InputStream in = Files.newInputStream(file)) {
            Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            if (!(parsed instanceof Map<?, ?>)) {
                throw new BadInputException(file + " is not an MLmodel file: expected a YAML mapping");
            }
            mlmodel = strings(parsed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new BadInputException(file + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Map<String, Object> flavors = map(mlmodel.get("flavors"));
        if (!(flavors.get(SPARK_FLAVOR) instanceof Map<?, ?>)) {
            throw new BadInputException("the MLflow model at " + dir + " has no spark flavor (its flavors: "
                    + (flavors.isEmpty() ? "none" : String.join(", ", flavors.keySet()))
                    + "); only models logged with mlflow.spark can be bundled");
        }
        MlflowModel model = new MlflowModel(dir, mlmodel, map(flavors.get(SPARK_FLAVOR)));
        model.checkSparkVersion(ourSparkVersion);
        model.checkJvmPipeline();
        return model;
    }

    /** The saved PipelineModel folder. */
    public Path pipelineDir() {
        Object data = spark.get("model_data");
        Path pipeline = dir.resolve(data == null ? "sparkml" : data.toString()).normalize();
        if (!pipeline.startsWith(dir.normalize())) {
            throw new BadInputException("the spark flavor's model_data '" + data + "' points outside " + dir);
        }
        return pipeline;
    }

    /** {@code pyspark_version} of the spark flavor, if recorded. */
    public Optional<String> pysparkVersion() {
        return Optional.ofNullable(spark.get("pyspark_version")).map(Object::toString);
    }

    /**
     * The input schema: from the signature's inputs when there is one, else from the input example,
     * else empty (the caller needs {@code --sample}).
     */
    public Optional<StructType> inputSchema(SparkSession session) {
        Optional<StructType> fromSignature = signatureSchema();
        if (fromSignature.isPresent()) {
            return fromSignature;
        }
        return exampleRecords().map(records -> schemaOfRecords(session, records));
    }

    /** Where the schema comes from, as {@link #inputSchema} picks it: signature, input_example or none. */
    public String schemaOrigin() {
        if (signatureInputs().isPresent()) {
            return "signature";
        }
        return exampleFile().isPresent() ? "input_example" : "none";
    }

    /** What bundle.json records of the MLflow model under {@code source}. */
    public Map<String, Object> source() {
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("type", "mlflow");
        source.put("path", dir.toAbsolutePath().normalize().toString());
        putIfPresent(source, "runId", mlmodel.get("run_id"));
        putIfPresent(source, "modelUuid", mlmodel.get("model_uuid"));
        putIfPresent(source, "artifactPath", mlmodel.get("artifact_path"));
        putIfPresent(source, "utcTimeCreated", mlmodel.get("utc_time_created"));
        putIfPresent(source, "mlflowVersion", mlmodel.get("mlflow_version"));
        putIfPresent(source, "pysparkVersion", spark.get("pyspark_version"));
        putIfPresent(source, "modelClass", spark.get("model_class"));
        Map<String, Object> pyfunc = map(map(mlmodel.get("flavors")).get("python_function"));
        putIfPresent(source, "pythonVersion", pyfunc.get("python_version"));
        source.put("schemaFrom", schemaOrigin());
        return source;
    }

    private void checkSparkVersion(String ours) {
        Optional<String> theirs = pysparkVersion();
        if (theirs.isPresent() && !majorMinor(theirs.get()).equals(majorMinor(ours))) {
            throw new BadInputException("the MLflow model at " + dir + " was saved with PySpark " + theirs.get()
                    + ", but this program runs Spark " + ours + "; a Spark pipeline loads only in the same "
                    + "major.minor Spark (" + majorMinor(ours) + ".x): retrain or re-save it with Spark "
                    + majorMinor(ours));
        }
    }

    /**
     * PySpark saves a pipeline through Spark's JVM writer when every stage is a JVM stage (the
     * metadata then names JVM classes); with any Python-only stage it writes a Python layout
     * ({@code "language": "Python"}, class {@code pyspark.ml...}) that only Python can load.
     */
    private void checkJvmPipeline() {
        Path pipeline = pipelineDir();
        if (!Files.isDirectory(pipeline)) {
            throw new BadInputException("the MLflow model at " + dir + " has no pipeline folder " + pipeline
                    + " (the spark flavor's model_data)");
        }
        JsonNode metadata = sparkMetadata(pipeline);
        String cls = metadata.path("class").asText("");
        if (cls.startsWith("pyspark.") || "Python".equals(metadata.path("paramMap").path("language").asText())) {
            throw new BadInputException("the pipeline in " + pipeline + " was saved by PySpark in its Python-only "
                    + "layout (class " + cls + "): at least one stage is a Python class, which a JVM cannot "
                    + "load; use only Spark's built-in stages (or their JVM equivalents) and log it again");
        }
    }

    private static JsonNode sparkMetadata(Path pipeline) {
        Path metadataDir = pipeline.resolve("metadata");
        try (Stream<Path> parts = Files.isDirectory(metadataDir) ? Files.list(metadataDir) : Stream.empty()) {
            Optional<Path> part = parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().findFirst();
            if (part.isEmpty()) {
                throw new BadInputException(pipeline + " is not a saved Spark pipeline: no metadata/part-* file");
            }
            String first = Files.readAllLines(part.get(), StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).findFirst().orElse("{}");
            return Json.MAPPER.readTree(first);
        } catch (IOException e) {
            throw new BadInputException(pipeline + " has unreadable Spark metadata: " + e.getMessage());
        }
    }

    private Optional<String> signatureInputs() {
        Object inputs = map(mlmodel.get("signature")).get("inputs");
        return inputs == null ? Optional.empty() : Optional.of(inputs.toString());
    }

    /** MLflow column specs: {@code [{"type": "string", "name": "plan", "required": true}, ...]}. */
    Optional<StructType> signatureSchema() {
        Optional<String> inputs = signatureInputs();
        if (inputs.isEmpty()) {
            return Optional.empty();
        }
        JsonNode specs;
        try {
            specs = Json.MAPPER.readTree(inputs.get());
        } catch (IOException e) {
            throw new BadInputException("the MLflow signature's inputs are not JSON: " + e.getMessage());
        }
        if (specs == null || !specs.isArray() || specs.isEmpty()) {
            throw new BadInputException("the MLflow signature's inputs are not a list of columns: " + inputs.get());
        }
        StructType schema = new StructType();
        List<String> problems = new ArrayList<>();
        for (JsonNode spec : specs) {
            String type = spec.path("type").asText("");
            if (type.equals("tensor") || !spec.hasNonNull("name")) {
                throw new BadInputException("the MLflow signature is a tensor or unnamed-column signature ("
                        + spec + "); bundles need named columns (a column-based signature)");
            }
            String name = spec.get("name").asText();
            DataType sparkType = sparkType(type);
            if (sparkType == null) {
                problems.add("column '" + name + "' has MLflow type '" + type + "'");
                continue;
            }
            // MLflow's "required" (default true since MLflow 2.9; absent before): the column must be given
            boolean required = spec.path("required").asBoolean(false);
            schema = schema.add(name, sparkType, !required);
        }
        if (!problems.isEmpty()) {
            throw new BadInputException("the MLflow signature has types a bundle cannot take: "
                    + String.join("; ", problems) + " (supported: string, double, float, integer, long, boolean)");
        }
        return Optional.of(schema);
    }

    private static DataType sparkType(String mlflowType) {
        return switch (mlflowType) {
            case "string" -> DataTypes.StringType;
            case "double" -> DataTypes.DoubleType;
            case "float" -> DataTypes.FloatType;
            case "integer" -> DataTypes.IntegerType;
            case "long" -> DataTypes.LongType;
            case "boolean" -> DataTypes.BooleanType;
            default -> null;
        };
    }

    private Optional<Path> exampleFile() {
        Object info = map(mlmodel.get("saved_input_example_info")).get("artifact_path");
        Path file = dir.resolve(info == null ? "input_example.json" : info.toString()).normalize();
        return Files.isRegularFile(file) && file.startsWith(dir.normalize()) ? Optional.of(file) : Optional.empty();
    }

    /**
     * The input example as records. MLflow writes pandas' split orient
     * ({@code {"columns": [...], "data": [[...]]}}), records ({@code [{...}]}), or either wrapped as
     * {@code dataframe_split} / {@code dataframe_records}.
     */
    Optional<List<Map<String, Object>>> exampleRecords() {
        Optional<Path> file = exampleFile();
        if (file.isEmpty()) {
            return Optional.empty();
        }
        JsonNode example;
        try {
            example = Json.MAPPER.readTree(file.get().toFile());
        } catch (IOException e) {
            throw new BadInputException(file.get() + " is not JSON: " + e.getMessage());
        }
        if (example != null && example.has("dataframe_split")) {
            example = example.get("dataframe_split");
        } else if (example != null && example.has("dataframe_records")) {
            example = example.get("dataframe_records");
        }
        List<Map<String, Object>> records = new ArrayList<>();
        if (example != null && example.isObject() && example.has("columns") && example.has("data")) {
            List<String> columns = new ArrayList<>();
            example.get("columns").forEach(c -> columns.add(c.asText()));
            for (JsonNode row : example.get("data")) {
                Map<String, Object> record = new LinkedHashMap<>();
                for (int i = 0; i < columns.size() && i < row.size(); i++) {
                    record.put(columns.get(i), Json.MAPPER.convertValue(row.get(i), Object.class));
                }
                records.add(record);
            }
        } else if (example != null && example.isArray()) {
            for (JsonNode row : example) {
                if (!row.isObject()) {
                    throw new BadInputException(file.get() + " is not an example of named columns (a row is " + row + ")");
                }
                records.add(Json.MAPPER.convertValue(row, Json.MAPPER.getTypeFactory()
                        .constructMapType(LinkedHashMap.class, String.class, Object.class)));
            }
        } else {
            throw new BadInputException(file.get() + " is neither split ({\"columns\", \"data\"}) nor records; "
                    + "give the schema with --sample FILE instead");
        }
        if (records.isEmpty()) {
            throw new BadInputException(file.get() + " has no rows to take a schema from");
        }
        return Optional.of(records);
    }

    /** The schema Spark infers from the records as JSON Lines, as {@code --sample} would. */
    private static StructType schemaOfRecords(SparkSession session, List<Map<String, Object>> records) {
        try {
            Path tmp = Files.createTempFile("mlflow-input-example-", ".jsonl");
            try {
                try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    for (Map<String, Object> r : records) {
                        out.write(Json.MAPPER.writeValueAsString(r));
                        out.write('\n');
                    }
                }
                return InputSchemas.fromSample(session, tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String majorMinor(String version) {
        String[] parts = version.strip().split("\\.");
        return parts.length >= 2 ? parts[0] + "." + parts[1] : version.strip();
    }

    private static void putIfPresent(Map<String, Object> into, String key, Object value) {
        if (value != null) {
            into.put(key, value instanceof java.util.Date d ? d.toInstant().toString() : value.toString());
        }
    }

    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> ? strings(value) : Map.of();
    }

    private static Map<String, Object> strings(Object value) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<? extends Map.Entry<?, ?>> it = ((Map<?, ?>) value).entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<?, ?> e = it.next();
            out.put(String.valueOf(e.getKey()), e.getValue());
        }
        return out;
    }
}
