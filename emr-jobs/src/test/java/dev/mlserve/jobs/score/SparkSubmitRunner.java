package dev.mlserve.jobs.score;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the built emr-jobs.jar the way EMR does: Spark's own launcher in a child JVM whose class
 * path holds only Spark's jars (the provided-scope dependencies), never scoring's classes.
 */
final class SparkSubmitRunner {
    static final String JOB_CLASS = "dev.mlserve.jobs.score.BatchScoreJob";

    /** The child's exit code and its output (Spark's and our log lines). */
    record Result(int exitCode, String log) {
    }

    private SparkSubmitRunner() {
    }

    static Path jobJar() {
        return Path.of(System.getProperty("mlserve.emrJobsJar", "target/emr-jobs.jar"));
    }

    static Result submit(Path work, List<String> jobArgs) throws IOException, InterruptedException {
        Files.createDirectories(work.resolve("tmp"));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(addOpensFlags());
        command.addAll(List.of("-Xmx1g", "-Djava.io.tmpdir=" + work.resolve("tmp"), "-cp", sparkClasspath(),
                "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]", "--class", JOB_CLASS,
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.local.dir=" + work.resolve("tmp"),
                "--conf", "spark.mlserve.progress.interval=1s",
                jobJar().toAbsolutePath().toString()));
        command.addAll(jobArgs);
        Path log = work.resolve("spark-submit.log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SPARK_") || k.equals("HADOOP_CONF_DIR"));
        pb.environment().put("HADOOP_USER_NAME", "mlserve");
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("spark-submit did not finish in 300 s: " + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log));
    }

    /** Only the provided-scope jars, as Maven resolved them into target/spark-classpath.txt. */
    private static String sparkClasspath() throws IOException {
        String cp = Files.readString(Path.of(System.getProperty("mlserve.sparkClasspath",
                "target/spark-classpath.txt"))).strip();
        for (String entry : cp.split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.startsWith("scoring") || name.startsWith("emr-jobs") || entry.contains("dev/mlserve")) {
                throw new IllegalStateException("the Spark class path must not carry our own classes: " + entry);
            }
        }
        return cp;
    }

    /** scoring's mlserve/add-opens.txt, the project's one list, as JVM flags. */
    private static List<String> addOpensFlags() throws IOException {
        try (InputStream in = SparkSubmitRunner.class.getClassLoader().getResourceAsStream("mlserve/add-opens.txt")) {
            if (in == null) {
                throw new IllegalStateException("mlserve/add-opens.txt is not on the class path");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            return Arrays.stream(text.split("\\s+")).map(m -> "--add-opens=" + m + "=ALL-UNNAMED").toList();
        }
    }
}
