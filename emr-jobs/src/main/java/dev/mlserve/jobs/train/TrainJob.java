package dev.mlserve.jobs.train;

import dev.mlserve.jobs.JobSessions;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.fast.SampleRecords;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a pipeline and writes it as a bundle: {@code --demo} on generated churn data, or
 * {@code --data FILE.csv --label C --name N}. Runs locally or on EMR Serverless; an {@code --out}
 * outside the local disk (s3://) is written locally first and then copied with Hadoop's FileSystem.
 */
public final class TrainJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    private TrainJob() {
    }

    public static void main(String[] argv) {
        TrainArgs args = TrainArgs.parse(argv);
        SparkSession spark = JobSessions.create("mlserve-train");
        try {
            run(spark, args);
        } finally {
            spark.stop();
        }
    }

    /** Trains and writes; answers the bundle's location and metadata. */
    public static Bundle run(SparkSession spark, TrainArgs args) {
        Dataset<Row> data = args.demo()
                ? ChurnDemoData.generate(spark, args.rows(), args.seed())
                : spark.read().option("header", "true").option("inferSchema", "true").csv(args.data());
        ClassifierTrainer.Result result = ClassifierTrainer.train(data, args.label(), args.exclude(), args.seed());
        URI out = URI.create(args.out().contains("://") ? args.out() : Path.of(args.out()).toUri().toString());
        boolean local = out.getScheme() == null || out.getScheme().equals("file");
        try {
            Path root = local ? Path.of(out) : Files.createTempDirectory("mlserve-train");
            List<Map<String, Object>> samples = SampleRecords.fromData(data,
                    BundleMetadata.fieldsOf(result.inputSchema()), SampleRecords.DEFAULT_COUNT, args.seed());
            Bundle bundle = new BundleWriter(root).write(result.model(), args.name(), args.version(),
                    result.inputSchema(), null, result.metrics(), samples);
            if (!local) {
                copyOut(spark, root, args.out());
            }
            LOG.info("bundle written: model={} version={} out={} metrics={}", args.name(), args.version(), args.out(),
                    result.metrics());
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the bundle to " + args.out(), e);
        }
    }

    private static void copyOut(SparkSession spark, Path localRoot, String target) throws IOException {
        org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(target);
        FileSystem fs = dst.getFileSystem(spark.sparkContext().hadoopConfiguration());
        try (var children = Files.list(localRoot)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(child.toUri()), dst);
            }
        }
    }
}
