package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code score} as users run it, {@code java -jar scoring-local.jar}: progress on stderr, the manifest alone on stdout. */
class ScoreProgressIT {
    private static final Path JAR = Path.of("target/scoring-local.jar");

    @TempDir
    Path dir;

    @Test
    void score_runLongerThanTheInterval_printsProgressLinesOnStderrAndOnlyTheManifestOnStdout() throws Exception {
        SparkSession spark = TestSpark.session();
        Dataset<Row> data = ParityPipelines.frame(spark, ParityPipelines.records(300, 3))
                .na().fill(1.0, new String[] {"tenure", "charges"})
                .withColumn("label", functions.when(functions.col("tenure").lt(20), 1.0).otherwise(0.0))
                .select("plan", "tenure", "charges", "label");
        PipelineStage[] stages = {
            new StringIndexer().setInputCol("plan").setOutputCol("plan_i").setHandleInvalid("keep"),
            new VectorAssembler().setInputCols(new String[] {"plan_i", "tenure", "charges"}).setOutputCol("features"),
            new LogisticRegression().setMaxIter(10)
        };
        PipelineModel model = new Pipeline().setStages(stages).fit(data);
        new BundleWriter(dir.resolve("models")).write(model, "progress", "1",
                data.drop("label").schema(), null, Map.of());
        Path csv = dir.resolve("in.csv");
        Random random = new Random(7);
        try (BufferedWriter out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            out.write("plan,tenure,charges\n");
            for (int i = 0; i < 150_000; i++) {
                out.write((i % 2 == 0 ? "basic" : "pro") + "," + random.nextInt(72) + ".0," + (10 + random.nextInt(100))
                        + ".5\n");
            }
        }
        assertThat(JAR).as("package the runner first (mvn package)").isRegularFile();

        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                JAR.toAbsolutePath().toString(), "score", "--bundle", dir.resolve("models/progress/1").toString(),
                "--input", csv.toString(), "--output", dir.resolve("out").toString(), "--progress-interval", "1s")
                .redirectOutput(dir.resolve("stdout").toFile()).redirectError(dir.resolve("stderr").toFile()).start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("score finished").isTrue();
        String err = Files.readString(dir.resolve("stderr"));

        assertThat(p.exitValue()).as(err).isZero();
        List<String> progress = err.lines().filter(l -> l.contains("scoring progress:")).toList();
        assertThat(progress).as(err).isNotEmpty();
        assertThat(progress.get(0)).contains("input=" + csv.toUri()).containsPattern("rowsRead=\\d+ ")
                .containsPattern("readRate=\\d+/s").containsPattern("rowsWritten=\\d+ ").containsPattern("elapsedS=\\d+");
        JsonNode manifest = Json.MAPPER.readTree(dir.resolve("stdout").toFile());
        assertThat(manifest.get("rowsScored").asLong()).isEqualTo(150_000);
    }

    @Test
    void score_withAProgressIntervalThatIsNoDuration_exits2NamingTheFlag() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = new Cli(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8), java.io.InputStream.nullInputStream(),
                TestSpark::session).run(new String[] {"score", "--bundle", "b", "--input", "in.csv", "--output", "out",
                    "--progress-interval", "often"});

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("--progress-interval must be a duration like 10s, 500ms or 2min, not 'often'");
    }
}
