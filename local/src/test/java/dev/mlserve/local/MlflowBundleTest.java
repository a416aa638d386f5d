package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bundle --mlflow-model}: model folders laid out as {@code mlflow.spark.log_model} writes
 * them (MLmodel YAML, the pipeline under {@code sparkml/}, a signature, an input example), around a
 * real pipeline fitted here.
 */
class MlflowBundleTest {
    private static final SparkSession SPARK = TestSpark.session();
    private static final String SIGNATURE = "'[{\"type\": \"string\", \"name\": \"plan\", \"required\": true}, "
            + "{\"type\": \"double\", \"name\": \"tenure\", \"required\": true}, "
            + "{\"type\": \"double\", \"name\": \"charges\", \"required\": false}]'";

    @TempDir
    static Path dir;

    private static PipelineModel pipeline;
    private static Path savedPipeline;

    record Result(int code, String out, String err) {
        JsonNode json() throws IOException {
            return Json.MAPPER.readTree(out);
        }
    }

    @BeforeAll
    static void fitPipeline() throws IOException {
        Dataset<Row> data = ParityPipelines.frame(SPARK, ParityPipelines.records(300, 11))
                .na().fill(1.0, new String[] {"tenure", "charges"})
                .withColumn("label", functions.when(functions.col("tenure").lt(20), 1.0).otherwise(0.0))
                .select("plan", "tenure", "charges", "label");
        PipelineStage[] stages = {
            new StringIndexer().setInputCol("plan").setOutputCol("plan_i").setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"plan_i", "tenure", "charges"}).setOutputCol("features"),
            new LogisticRegression().setMaxIter(20)
        };
        pipeline = new Pipeline().setStages(stages).fit(data);
        savedPipeline = dir.resolve("fitted");
        pipeline.write().save(savedPipeline.toString());
    }

    @Test
    void bundle_mlflowModelWithSignature_takesSchemaFromItRecordsTheRunAndPredictsLikeSpark() throws Exception {
        Path model = mlflowModel("signed", mlmodel("3.5.1", SIGNATURE, false));

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "signed", "--version", "1",
                "--out", dir.resolve("bundles").toString());

        assertThat(r.code()).as(r.err() + r.out()).isZero();
        JsonNode meta = Json.MAPPER.readTree(dir.resolve("bundles/signed/1/bundle.json").toFile());
        assertThat(meta.get("inputSchema").toString())
                .isEqualTo("[{\"name\":\"plan\",\"type\":\"string\",\"nullable\":false},"
                        + "{\"name\":\"tenure\",\"type\":\"double\",\"nullable\":false},"
                        + "{\"name\":\"charges\",\"type\":\"double\",\"nullable\":true}]");
        assertThat(meta.get("source").get("type").asText()).isEqualTo("mlflow");
        assertThat(meta.get("source").get("runId").asText()).isEqualTo("4f2c1e9a7b8d4c3e9f0a1b2c3d4e5f60");
        assertThat(meta.get("source").get("modelUuid").asText()).isEqualTo("0d1e2f3a4b5c4d6e8f9a0b1c2d3e4f5a");
        assertThat(meta.get("source").get("utcTimeCreated").asText()).isEqualTo("2026-11-20 09:14:03.512998");
        assertThat(meta.get("source").get("pysparkVersion").asText()).isEqualTo("3.5.1");
        assertThat(meta.get("source").get("mlflowVersion").asText()).isEqualTo("2.17.2");
        assertThat(meta.get("source").get("schemaFrom").asText()).isEqualTo("signature");
        assertThat(meta.get("name").asText()).isEqualTo("signed");
        assertThat(meta.get("sparkVersion").asText()).isEqualTo(org.apache.spark.package$.MODULE$.SPARK_VERSION());
        // the bundle format's reader takes the new field back
        assertThat(BundleFiles.readMetadata(dir.resolve("bundles/signed/1")).source()).containsEntry("type", "mlflow");

        List<Map<String, Object>> records = new ArrayList<>();
        for (Map<String, Object> m : ParityPipelines.records(30, 99)) {
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("plan", m.get("plan") == null ? "basic" : m.get("plan"));
            rec.put("tenure", m.get("tenure") == null ? 3.0 : m.get("tenure"));
            rec.put("charges", m.get("charges") == null ? 20.0 : m.get("charges"));
            records.add(rec);
        }
        Result predicted = run(Json.MAPPER.writeValueAsString(Map.of("records", records)), "predict", "--bundle",
                dir.resolve("bundles/signed/1").toString());
        assertThat(predicted.code()).as(predicted.err() + predicted.out()).isZero();
        Dataset<Row> frame = ParityPipelines.frame(SPARK, records).select("plan", "tenure", "charges");
        assertThat(predicted.json().get("predictions").toString())
                .isEqualTo(Parity.exact(Parity.plainTransform(pipeline, frame, List.of("prediction", "probability"))));
    }

    @Test
    void bundle_mlflowModelWithSplitInputExampleOnly_infersSchemaFromTheExample() throws Exception {
        Path model = mlflowModel("example-split", mlmodel("3.5.0", null, true));
        Files.writeString(model.resolve("input_example.json"),
                "{\"columns\": [\"plan\", \"tenure\", \"charges\"], \"data\": [[\"pro\", 12.5, 70.25], [\"basic\", 1.0, 20.0]]}");

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "example-split", "--version", "1",
                "--out", dir.resolve("bundles").toString());

        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(r.json().at("/metadata/inputSchema").toString())
                .isEqualTo("[{\"name\":\"charges\",\"type\":\"double\",\"nullable\":true},"
                        + "{\"name\":\"plan\",\"type\":\"string\",\"nullable\":true},"
                        + "{\"name\":\"tenure\",\"type\":\"double\",\"nullable\":true}]");
        assertThat(r.json().at("/metadata/source/schemaFrom").asText()).isEqualTo("input_example");
    }

    @Test
    void bundle_mlflowModelWithRecordsInputExample_infersSchemaFromTheRecords() throws Exception {
        Path model = mlflowModel("example-records", mlmodel("3.5.6", null, true));
        Files.writeString(model.resolve("input_example.json"),
                "[{\"plan\": \"pro\", \"tenure\": 12.5, \"charges\": 70.25}]");

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "example-records", "--version",
                "1", "--out", dir.resolve("bundles").toString());

        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(r.json().at("/metadata/inputSchema").toString()).contains("\"name\":\"plan\",\"type\":\"string\"")
                .contains("\"name\":\"tenure\",\"type\":\"double\"");
    }

    @Test
    void bundle_mlflowModelWithoutSignatureOrExample_takesSample() throws Exception {
        Path model = mlflowModel("sampled", mlmodel("3.5.1", null, false));
        Path sample = dir.resolve("sample.csv");
        Files.writeString(sample, "plan,tenure,charges\nbasic,1.5,20.25\n");

        Result missing = run("", "bundle", "--mlflow-model", model.toString(), "--name", "sampled", "--version", "1",
                "--out", dir.resolve("bundles").toString());
        Result given = run("", "bundle", "--mlflow-model", model.toString(), "--sample", sample.toString(), "--name",
                "sampled", "--version", "1", "--out", dir.resolve("bundles").toString());

        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.json().get("error").asText()).contains("neither a signature nor an input example")
                .contains("--sample");
        assertThat(given.code()).as(given.err() + given.out()).isZero();
        assertThat(given.json().at("/metadata/source/schemaFrom").asText()).isEqualTo("--sample");
    }

    @Test
    void bundle_mlflowModelOfAnotherFlavor_refusesNamingItsFlavors() throws Exception {
        Path model = mlflowModel("sklearn", """
                artifact_path: model
                flavors:
                  python_function:
                    loader_module: mlflow.sklearn
                    python_version: 3.11.9
                  sklearn:
                    pickled_model: model.pkl
                    sklearn_version: 1.5.2
                mlflow_version: 2.17.2
                """);

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "sk", "--version", "1", "--out",
                dir.resolve("bundles").toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText()).contains("no spark flavor").contains("python_function, sklearn");
        assertThat(dir.resolve("bundles/sk")).doesNotExist();
    }

    @Test
    void bundle_mlflowModelOfAnotherSparkMinor_refusesNamingBothVersions() throws Exception {
        Path model = mlflowModel("old-spark", mlmodel("3.4.1", SIGNATURE, false));

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "old", "--version", "1", "--out",
                dir.resolve("bundles").toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText()).contains("PySpark 3.4.1").contains("3.5.x");
        assertThat(dir.resolve("bundles/old")).doesNotExist();
    }

    @Test
    void bundle_mlflowSignatureWithUnsupportedTypes_refusesNamingEachColumn() throws Exception {
        Path model = mlflowModel("datetime", mlmodel("3.5.1", "'[{\"type\": \"string\", \"name\": \"plan\"}, "
                + "{\"type\": \"datetime\", \"name\": \"signed_up\"}, {\"type\": \"binary\", \"name\": \"blob\"}]'",
                false));

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "dt", "--version", "1", "--out",
                dir.resolve("bundles").toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText()).contains("column 'signed_up' has MLflow type 'datetime'")
                .contains("column 'blob' has MLflow type 'binary'");
    }

    @Test
    void bundle_mlflowModelWithTensorSignature_refuses() throws Exception {
        Path model = mlflowModel("tensor", mlmodel("3.5.1",
                "'[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": [-1, 3]}}]'", false));

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "t", "--version", "1", "--out",
                dir.resolve("bundles").toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText()).contains("tensor");
    }

    /**
     * PySpark saves through Spark's JVM writer when every stage is a JVM stage, so such a pipeline
     * is the fixture of the other tests; with a Python-only stage it writes its own layout
     * (metadata class {@code pyspark.ml.pipeline.PipelineModel}, {@code "language": "Python"}).
     */
    @Test
    void bundle_pipelineInPySparksPythonOnlyLayout_refusesNamingTheReason() throws Exception {
        Path model = mlflowModel("python-layout", mlmodel("3.5.1", SIGNATURE, false));
        Path metadataDir = model.resolve("sparkml/metadata");
        try (Stream<Path> parts = Files.list(metadataDir)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                Files.writeString(part, "{\"class\": \"pyspark.ml.pipeline.PipelineModel\", \"timestamp\": 1763630043512, "
                        + "\"sparkVersion\": \"3.5.1\", \"uid\": \"PipelineModel_1f2e\", \"paramMap\": {\"stageUids\": "
                        + "[\"StringIndexer_1\", \"MyTransformer_2\"], \"language\": \"Python\"}, \"defaultParamMap\": {}}\n");
            }
        }
        // Spark's checksum files would refuse the edited part before our check could speak
        try (Stream<Path> crcs = Files.list(metadataDir)) {
            for (Path crc : crcs.filter(p -> p.getFileName().toString().endsWith(".crc")).toList()) {
                Files.delete(crc);
            }
        }

        Result r = run("", "bundle", "--mlflow-model", model.toString(), "--name", "py", "--version", "1", "--out",
                dir.resolve("bundles").toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText()).contains("Python-only layout")
                .contains("pyspark.ml.pipeline.PipelineModel");
    }

    @Test
    void bundle_givenBothPipelineAndMlflowModel_exits2WithUsage() {
        Result r = run("", "bundle", "--pipeline", savedPipeline.toString(), "--mlflow-model", "x", "--name", "n",
                "--version", "1", "--out", dir.resolve("bundles").toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("give exactly one of --pipeline DIR or --mlflow-model DIR");
    }

    @Test
    void bundle_plainPipeline_writesNoSourceField() throws Exception {
        Result r = run("", "bundle", "--pipeline", savedPipeline.toString(), "--schema",
                "plan STRING, tenure DOUBLE, charges DOUBLE", "--name", "plain", "--version", "1", "--out",
                dir.resolve("bundles").toString());

        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(Json.MAPPER.readTree(dir.resolve("bundles/plain/1/bundle.json").toFile()).has("source")).isFalse();
    }

    /** An MLmodel file as MLflow 2.17 writes it for mlflow.spark.log_model. */
    private static String mlmodel(String pysparkVersion, String signatureInputs, boolean example) {
        StringBuilder y = new StringBuilder("""
                artifact_path: model
                flavors:
                  python_function:
                    data: sparkml
                    env:
                      conda: conda.yaml
                      virtualenv: python_env.yaml
                    loader_module: mlflow.spark
                    python_version: 3.11.9
                  spark:
                    code: null
                    model_class: pyspark.ml.pipeline.PipelineModel
                    model_data: sparkml
                """);
        y.append("    pyspark_version: ").append(pysparkVersion).append('\n');
        y.append("""
                mlflow_version: 2.17.2
                model_size_bytes: 40213
                model_uuid: 0d1e2f3a4b5c4d6e8f9a0b1c2d3e4f5a
                run_id: 4f2c1e9a7b8d4c3e9f0a1b2c3d4e5f60
                """);
        if (example) {
            y.append("""
                    saved_input_example_info:
                      artifact_path: input_example.json
                      pandas_orient: split
                      type: dataframe
                    """);
        }
        if (signatureInputs != null) {
            y.append("signature:\n  inputs: ").append(signatureInputs).append('\n')
                    .append("  outputs: '[{\"type\": \"double\", \"required\": true}]'\n  params: null\n");
        }
        y.append("utc_time_created: '2026-11-20 09:14:03.512998'\n");
        return y.toString();
    }

    private static Path mlflowModel(String name, String mlmodel) throws IOException {
        Path model = dir.resolve("mlruns").resolve(name);
        BundleFiles.copyTree(savedPipeline, model.resolve("sparkml"));
        Files.writeString(model.resolve("MLmodel"), mlmodel);
        return model;
    }

    private static Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                () -> SPARK).run(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
