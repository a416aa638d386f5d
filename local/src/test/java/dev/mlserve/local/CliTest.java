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
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.DecisionTreeClassifier;
import org.apache.spark.ml.feature.QuantileDiscretizer;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's commands end to end, in-process, on the shared test session. */
class CliTest {
    private static final SparkSession SPARK = TestSpark.session();

    @TempDir
    static Path dir;

    private static Path demoBundle;

    record Result(int code, String out, String err) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(out);
        }
    }

    static Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                () -> SPARK).run(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void trainDemo() throws Exception {
        Result r = run("", "train", "--demo", "--rows", "1500", "--out", dir.resolve("models").toString());
        assertThat(r.code()).as(r.err()).isZero();
        demoBundle = Path.of(r.json().get("bundle").asText());
    }

    @Test
    void train_demo_writesChurnVersion1WithHoldoutMetricsAndLatest() throws Exception {
        assertThat(demoBundle).isEqualTo(dir.resolve("models/churn/1"));
        JsonNode meta = Json.MAPPER.readTree(demoBundle.resolve("bundle.json").toFile());
        assertThat(meta.get("metrics").get("areaUnderROC").asDouble()).isBetween(0.6, 1.0);
        assertThat(meta.get("outputs").toString()).isEqualTo("[\"prediction\",\"probability\",\"predictedLabel\"]");
        assertThat(Files.readString(dir.resolve("models/churn/LATEST")).strip()).isEqualTo("1");
        assertThat(demoBundle.resolve("pipeline/metadata")).isDirectory();
    }

    @Test
    void predict_fromStdin_answersApiShapedPredictions() throws Exception {
        Result r = run("""
                {"records":[{"plan":"basic","contract":"month-to-month","tenureMonths":2,"monthlyCharges":30,
                 "supportCalls":5,"paperlessBilling":true}]}""", "predict", "--bundle", demoBundle.toString());

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode body = r.json();
        assertThat(body.get("model").asText()).isEqualTo("churn");
        assertThat(body.get("version").asText()).isEqualTo("1");
        assertThat(body.at("/predictions/0/predictedLabel").asText()).isIn("yes", "no");
        assertThat(body.at("/predictions/0/probability").size()).isEqualTo(2);
    }

    private static final String TWO_CUSTOMERS_RECORDS = """
            {"records":[{"plan":"basic","contract":"month-to-month","tenureMonths":2,"monthlyCharges":30,
                         "supportCalls":5,"paperlessBilling":true},
                        {"plan":"premium","contract":"two-year","tenureMonths":58,"monthlyCharges":104.9,
                         "supportCalls":0,"paperlessBilling":false}]}""";
    private static final String TWO_CUSTOMERS_CSV = """
            plan,contract,tenureMonths,monthlyCharges,supportCalls,paperlessBilling
            basic,month-to-month,2,30,5,true
            premium,two-year,58,104.9,0,false
            """;

    @Test
    void predict_withMlflowDataframeSplitBody_answersAsTheRecordsBody() throws Exception {
        Result records = run(TWO_CUSTOMERS_RECORDS, "predict", "--bundle", demoBundle.toString());
        Result split = run("""
                {"dataframe_split":{"columns":["plan","contract","tenureMonths","monthlyCharges","supportCalls",
                                               "paperlessBilling"],
                                    "data":[["basic","month-to-month",2,30,5,true],
                                            ["premium","two-year",58,104.9,0,false]]}}""",
                "predict", "--bundle", demoBundle.toString());

        assertThat(split.code()).as(split.err()).isZero();
        assertThat(split.json().get("predictions")).hasSize(2).isEqualTo(records.json().get("predictions"));
    }

    @Test
    void predict_withCsvInputFile_readsItAsTextCsvAndAnswersAsTheRecordsBody() throws Exception {
        Path csv = Files.writeString(dir.resolve("two-customers.csv"), TWO_CUSTOMERS_CSV);

        Result r = run("", "predict", "--bundle", demoBundle.toString(), "--input", csv.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.json().get("predictions")).hasSize(2)
                .isEqualTo(run(TWO_CUSTOMERS_RECORDS, "predict", "--bundle", demoBundle.toString()).json()
                        .get("predictions"));
    }

    @Test
    void predict_withCsvOnStdinAndContentType_answersEveryRow() throws Exception {
        Result r = run(TWO_CUSTOMERS_CSV, "predict", "--bundle", demoBundle.toString(), "--content-type",
                "text/csv; charset=utf-8");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.json().get("predictions")).hasSize(2);
    }

    @Test
    void predict_withCsvOnStdinButNoContentType_exits2AsNotJson() throws Exception {
        Result r = run(TWO_CUSTOMERS_CSV, "predict", "--bundle", demoBundle.toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText()).isEqualTo("request body is not valid JSON");
    }

    @Test
    void predict_withCsvHavingABadCell_exits2NamingTheRowAndField() throws Exception {
        Result r = run(TWO_CUSTOMERS_CSV.replace("58,104.9", "58,cheap"), "predict", "--bundle",
                demoBundle.toString(), "--content-type", "text/csv");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().at("/details/0/record").asInt()).isEqualTo(1);
        assertThat(r.json().at("/details/0/field").asText()).isEqualTo("monthlyCharges");
    }

    @Test
    void predict_withBadRecords_printsErrorListingEveryRecordAndFieldAndExits2() throws Exception {
        Result r = run("""
                {"records":[
                  {"plan":"basic","contract":"one-year","monthlyCharges":30,"paperlessBilling":true},
                  {"plan":7,"contract":"one-year","monthlyCharges":"cheap","paperlessBilling":true},
                  {"contract":"one-year","monthlyCharges":30,"paperlessBilling":true,"colour":"red"}]}""",
                "predict", "--bundle", demoBundle.toString());

        assertThat(r.code()).isEqualTo(2);
        List<String> details = new ArrayList<>();
        r.json().get("details").forEach(d -> details.add(d.get("record").asInt() + ":" + d.get("field").asText()));
        assertThat(details).containsExactly("1:plan", "1:monthlyCharges", "2:plan", "2:colour");
        assertThat(r.json().get("requestId").asText()).isNotBlank();
        assertThat(r.out()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void predict_withMissingBundle_exits3WithErrorJson() throws Exception {
        Result r = run("{\"records\":[{}]}", "predict", "--bundle", dir.resolve("nope").toString());

        assertThat(r.code()).isEqualTo(3);
        assertThat(r.json().get("error").asText()).contains("no bundle");
    }

    @Test
    void predict_withUnknownFlag_exits2WithUsage() {
        Result r = run("", "predict", "--bundel", "x");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown argument '--bundel'").contains("usage:");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void score_csv_writesScoredRejectedAndManifestCountingBadRows() throws Exception {
        Path input = dir.resolve("customers.csv");
        Files.writeString(input, """
                customerId,plan,contract,paymentMethod,region,tenureMonths,monthlyCharges,supportCalls,dataUsageGb,paperlessBilling
                C1,basic,month-to-month,card,north,3,29.5,2,1.5,true
                C2,premium,two-year,,south,,99,,,false
                C3,standard,one-year,card,east,12,,1,3,true
                C4,standard,one-year,card,east,twelve,40,1,3,maybe
                """);
        Path out = dir.resolve("scored-customers");

        Result r = run("", "score", "--bundle", demoBundle.toString(), "--input", input.toString(),
                "--output", out.toString());

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode manifest = Json.MAPPER.readTree(out.resolve("_manifest.json").toFile());
        assertThat(manifest.get("rowsIn").asLong()).isEqualTo(4);
        assertThat(manifest.get("rowsScored").asLong()).isEqualTo(2);
        assertThat(manifest.get("rowsRejected").asLong()).isEqualTo(2);
        assertThat(manifest.get("route").asText()).isEqualTo("inline");
        List<String> rejected = Files.readAllLines(out.resolve("rejected.jsonl"));
        assertThat(rejected).hasSize(2);
        assertThat(String.join("\n", rejected)).contains("\"monthlyCharges\"").contains("\"tenureMonths\"")
                .contains("\"paperlessBilling\"");
        Dataset<Row> scored = SPARK.read().option("header", "true").csv(out.resolve("scored").toString());
        assertThat(scored.columns()).startsWith("customerId", "plan").endsWith("prediction", "probability",
                "predictedLabel");
        assertThat(scored.select("customerId").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
                .containsExactlyInAnyOrder("C1", "C2");
    }

    @Test
    void bundle_wrapsForeignPipelineWithDdlSchema_andPredictMatchesPlainTransform() throws Exception {
        PipelineModel foreign = foreignPipeline();
        Path saved = dir.resolve("foreign-pipeline");
        foreign.write().save(saved.toString());

        Result wrapped = run("", "bundle", "--pipeline", saved.toString(), "--schema",
                "plan STRING NOT NULL, tenure DOUBLE, charges DOUBLE", "--name", "foreign", "--version", "7",
                "--out", dir.resolve("wrapped").toString());
        assertThat(wrapped.code()).as(wrapped.err()).isZero();
        assertThat(wrapped.json().at("/metadata/outputs").toString()).isEqualTo("[\"prediction\",\"probability\"]");

        List<Map<String, Object>> records = new ArrayList<>();
        for (Map<String, Object> m : ParityPipelines.records(40, 77)) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("plan", m.get("plan"));
            r.put("tenure", m.get("tenure") == null ? 1.0 : m.get("tenure"));
            r.put("charges", m.get("charges") == null ? 20.0 : m.get("charges"));
            records.add(r);
        }
        Result predicted = run(Json.MAPPER.writeValueAsString(Map.of("records", records)), "predict", "--bundle",
                dir.resolve("wrapped/foreign/7").toString());

        assertThat(predicted.code()).as(predicted.err()).isZero();
        Dataset<Row> frame = ParityPipelines.frame(SPARK, records.stream().map(r -> {
            Map<String, Object> full = new LinkedHashMap<>(r);
            return full;
        }).toList()).select("plan", "tenure", "charges");
        List<Map<String, Object>> expected = Parity.plainTransform(foreign, frame, List.of("prediction", "probability"));
        assertThat(Json.MAPPER.readTree(predicted.out()).get("predictions").toString())
                .isEqualTo(Parity.exact(expected));
    }

    @Test
    void bundle_withSampleFile_infersSchema() throws Exception {
        Path saved = dir.resolve("foreign-pipeline-2");
        foreignPipeline().write().save(saved.toString());
        Path sample = dir.resolve("sample.csv");
        Files.writeString(sample, "plan,tenure,charges\nbasic,1.5,20.25\n");

        Result r = run("", "bundle", "--pipeline", saved.toString(), "--sample", sample.toString(), "--name",
                "sampled", "--version", "1", "--out", dir.resolve("wrapped").toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.json().at("/metadata/inputSchema").toString())
                .isEqualTo("[{\"name\":\"plan\",\"type\":\"string\",\"nullable\":true},"
                        + "{\"name\":\"tenure\",\"type\":\"double\",\"nullable\":true},"
                        + "{\"name\":\"charges\",\"type\":\"double\",\"nullable\":true}]");
    }

    @Test
    void bundle_ofAPipelineTrainedOnLibsvm_withAParquetSample_takesTheVectorAndItsSize_andPredictMatchesTransform()
            throws Exception {
        StringBuilder libsvm = new StringBuilder();
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 200; i++) {
            libsvm.append(i % 2);
            for (int k = 1; k <= 6; k++) {
                if (random.nextInt(3) > 0) {
                    libsvm.append(' ').append(k).append(':').append(random.nextInt(100) / 10.0 + (i % 2) * k);
                }
            }
            libsvm.append('\n');
        }
        Path file = dir.resolve("train.libsvm");
        Files.writeString(file, libsvm);
        Dataset<Row> data = SPARK.read().format("libsvm").load(file.toString());
        PipelineModel model = new org.apache.spark.ml.Pipeline().setStages(new org.apache.spark.ml.PipelineStage[] {
            new org.apache.spark.ml.feature.MinMaxScaler().setInputCol("features").setOutputCol("scaled"),
            new org.apache.spark.ml.classification.LogisticRegression().setFeaturesCol("scaled").setMaxIter(10)})
                .fit(data);
        Path saved = dir.resolve("libsvm-pipeline");
        model.write().save(saved.toString());
        Path sample = dir.resolve("features.parquet");
        data.select("features").limit(50).coalesce(1).write().parquet(sample.toString());

        Result r = run("", "bundle", "--pipeline", saved.toString(), "--sample", sample.toString(), "--name",
                "libsvm", "--version", "1", "--out", dir.resolve("wrapped").toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.json().at("/metadata/inputSchema").toString())
                .isEqualTo("[{\"name\":\"features\",\"type\":\"vector\",\"nullable\":true,\"size\":6}]");
        assertThat(Files.readAllLines(dir.resolve("wrapped/libsvm/1/samples.jsonl"))).hasSize(50);
        String body = """
                {"records": [{"features": {"size": 6, "indices": [0, 4], "values": [1.5, 7.25]}},
                             {"features": [0.5, 1, 2, 3, 4, 5.5]},
                             {"features": {"type": 0, "size": 6, "indices": [], "values": []}}]}""";
        Result predicted = run(body, "predict", "--bundle", dir.resolve("wrapped/libsvm/1").toString());
        assertThat(predicted.code()).as(predicted.err()).isZero();
        Dataset<Row> frame = SPARK.createDataFrame(List.of(
                org.apache.spark.sql.RowFactory.create(org.apache.spark.ml.linalg.Vectors.sparse(6, new int[] {0, 4},
                        new double[] {1.5, 7.25})),
                org.apache.spark.sql.RowFactory.create(org.apache.spark.ml.linalg.Vectors.dense(0.5, 1, 2, 3, 4, 5.5)),
                org.apache.spark.sql.RowFactory.create(org.apache.spark.ml.linalg.Vectors.sparse(6, new int[0],
                        new double[0]))), data.select("features").schema());
        assertThat(Json.MAPPER.readTree(predicted.out()).get("predictions").toString())
                .isEqualTo(Parity.exact(Parity.plainTransform(model, frame, List.of("prediction", "probability"))));

        Result wrongSize = run("{\"records\": [{\"features\": [1, 2]}]}", "predict", "--bundle",
                dir.resolve("wrapped/libsvm/1").toString());
        assertThat(wrongSize.code()).isEqualTo(2);
        assertThat(wrongSize.out()).contains("expected a vector of size 6, got size 2");

        Result ddl = run("", "bundle", "--pipeline", saved.toString(), "--schema", "features VECTOR NOT NULL",
                "--name", "libsvm", "--version", "2", "--out", dir.resolve("wrapped").toString());
        assertThat(ddl.code()).as(ddl.err()).isZero();
        assertThat(ddl.json().at("/metadata/inputSchema").toString())
                .isEqualTo("[{\"name\":\"features\",\"type\":\"vector\",\"nullable\":false}]");
    }

    @Test
    void demo_overAStoreWithTheBundle_answersEveryStep_andARerunFindsTheUploadAlreadyScored() throws Exception {
        Path store = dir.resolve("demo-store");
        BundleFiles.copyTree(demoBundle, store.resolve("models/churn/1"));

        Result first = run("", "demo", "--store", store.toString());
        Result second = run("", "demo", "--store", store.toString());

        assertThat(first.code()).as(first.err()).isZero();
        JsonNode a = first.json();
        assertThat(a.at("/getModel/status").asInt()).isEqualTo(200);
        assertThat(a.at("/predictSmall/status").asInt()).isEqualTo(200);
        assertThat(a.at("/predictSmall/body/predictions")).hasSize(3);
        assertThat(a.at("/predictLarge/status").asInt()).isEqualTo(202);
        assertThat(a.at("/predictLarge/body/route").asText()).isEqualTo("batch");
        assertThat(a.at("/job/body/state").asText()).isEqualTo("SUCCESS");
        assertThat(a.at("/job/body/rowsScored").asInt()).isEqualTo(Demo.LARGE_RECORDS);
        assertThat(a.at("/upload/outcomes/0/action").asText()).isEqualTo("SCORED_INLINE");
        assertThat(a.at("/manifest/rowsRejected").asInt()).isEqualTo(1);
        assertThat(a.get("rejectedRows")).hasSize(1);
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.json().at("/upload/outcomes/0/action").asText()).isEqualTo("ALREADY_DONE");
        assertThat(second.json().at("/job/body/state").asText()).isEqualTo("SUCCESS");
    }

    /** A pipeline made with Spark's API alone, the way any user's job would make one. */
    private static PipelineModel foreignPipeline() {
        Dataset<Row> data = ParityPipelines.frame(SPARK, ParityPipelines.records(300, 5))
                .na().fill(1.0, new String[] {"tenure", "charges"})
                .withColumn("label", functions.when(functions.col("tenure").lt(20), 1.0).otherwise(0.0))
                .select("plan", "tenure", "charges", "label");
        PipelineStage[] stages = {
            new StringIndexer().setInputCol("plan").setOutputCol("plan_i").setHandleInvalid("keep"),
            new QuantileDiscretizer().setInputCol("charges").setOutputCol("charges_q").setNumBuckets(4),
            new VectorAssembler().setInputCols(new String[] {"plan_i", "tenure", "charges_q"}).setOutputCol("features"),
            new DecisionTreeClassifier().setMaxDepth(4)
        };
        return new Pipeline().setStages(stages).fit(data);
    }
}
