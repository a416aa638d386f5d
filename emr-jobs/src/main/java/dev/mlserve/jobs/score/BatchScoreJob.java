package dev.mlserve.jobs.score;

import dev.mlserve.jobs.JobSessions;
import dev.mlserve.scoring.bundle.HadoopBundle;
import dev.mlserve.scoring.bundle.HadoopBundleStore;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.fast.ScorerProvider;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch scoring job EMR Serverless runs: the same {@link FileScorer} as inline scoring, with
 * the bundle and the data read through Spark/Hadoop paths ({@code s3://} is EMRFS on EMR), scored
 * through the bundle's fast path when it compiles and passes its self-check (on the bundle's
 * samples.jsonl, read through Hadoop too, else synthetic samples), through transform otherwise. Exit
 * codes: 0 done, 2 bad arguments or an unusable input (FAILED manifest), 3 no such bundle; a
 * real fault ends the job with its exception.
 */
public final class BatchScoreJob {
    static final int EXIT_BAD_INPUT = 2;
    static final int EXIT_NO_BUNDLE = 3;
    private static final Logger LOG = LoggerFactory.getLogger(BatchScoreJob.class);

    private BatchScoreJob() {
    }

    public static void main(String[] argv) {
        BatchScoreArgs args;
        try {
            args = BatchScoreArgs.parse(argv);
        } catch (IllegalArgumentException e) {
            LOG.error("bad arguments: {}", e.getMessage());
            System.exit(EXIT_BAD_INPUT);
            return;
        }
        SparkSession spark = JobSessions.create("mlserve-batch-score");
        int exit;
        try {
            exit = run(spark, args).succeeded() ? 0 : EXIT_BAD_INPUT;
        } catch (ModelNotFoundException e) {
            LOG.error("no bundle: {}", e.getMessage());
            exit = EXIT_NO_BUNDLE;
        } finally {
            spark.stop();
        }
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /** Resolves the bundle and scores the input into the output folder: the job without its session. */
    public static Manifest run(SparkSession spark, BatchScoreArgs args) {
        HadoopBundle bundle = resolve(spark.sparkContext().hadoopConfiguration(), args);
        FastPathScorer scorer = scorer(spark, bundle);
        String jobId = args.jobId() != null ? args.jobId() : spark.sparkContext().applicationId();
        LOG.info("batch scoring: jobId={} bundle={} input={} format={} output={}", jobId, bundle.uri(), args.input(),
                args.format().extension(), args.output());
        Manifest manifest = new FileScorer(spark, scorer).score(args.input(), args.format(), args.output(),
                new RunInfo("batch", args.routeReason(), jobId, args.inputEtag(), args.inputVersionId(), args.source()));
        if (!manifest.succeeded()) {
            LOG.error("batch scoring refused the input: jobId={} input={} error={} details={}", jobId, args.input(),
                    manifest.error(), manifest.details());
        }
        return manifest;
    }

    /** The bundle's scorer from the provider every entry point uses: its fast path checked on the bundle's samples. */
    static FastPathScorer scorer(SparkSession spark, HadoopBundle bundle) {
        return ScorerProvider.of(spark).scorer(bundle);
    }

    static HadoopBundle resolve(Configuration conf, BatchScoreArgs args) {
        if (args.bundle() != null) {
            return HadoopBundleStore.open(conf, args.bundle());
        }
        return new HadoopBundleStore(conf, args.modelRoot()).fetch(args.model(), args.version());
    }
}
