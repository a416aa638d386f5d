package dev.mlserve.functions.wiring;

import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.emr.EmrClients;
import dev.mlserve.functions.emr.EmrServerlessLauncher;
import dev.mlserve.functions.emr.LocalBatchLauncher;
import dev.mlserve.functions.jobs.StoreJobs;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.s3.S3ObjectStore;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.bundle.BundleStore;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.bundle.S3BundleStore;
import dev.mlserve.scoring.store.S3Clients;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The adapters behind the ports, chosen by {@code MLSERVE_BACKEND}: "aws" is S3 (SDK v2) + EMR
 * Serverless; "local" is a directory laid out like the bucket + the in-process Spark launcher.
 * Handlers build this once, in construction.
 */
public record Adapters(ObjectStore objectStore, BundleStore bundleStore, BatchLauncher launcher, Jobs jobs) {
    public static final String EMR_BACKEND = "emr-serverless";
    public static final String LOCAL_BACKEND = "local";

    /** @param spark the container's session; the local launcher runs batch jobs on it */
    public static Adapters create(FunctionConfig config, SparkSession spark) {
        return config.isAws() ? aws(config) : local(config, spark);
    }

    /** S3 via {@link S3Clients} (AWS_REGION, S3_FORCE_PATH_STYLE, AWS_ENDPOINT_URL*) and EMR Serverless. */
    public static Adapters aws(FunctionConfig config) {
        S3Client s3 = S3Clients.create(S3Clients.Settings.fromEnvironment());
        ObjectStore store = new S3ObjectStore(s3, config.bucket());
        BundleStore bundles = new S3BundleStore(s3, config.bucket(), config.modelPrefix(), config.cacheDir());
        BatchLauncher launcher = new EmrServerlessLauncher(EmrClients.fromEnvironment(),
                EmrServerlessLauncher.Settings.from(config));
        return new Adapters(store, bundles, launcher, new StoreJobs(store, launcher, EMR_BACKEND));
    }

    /** The embedded default: {@code MLSERVE_LOCAL_STORE} as the bucket, batch jobs on local Spark. */
    public static Adapters local(FunctionConfig config, SparkSession spark) {
        return local(config, () -> spark);
    }

    /** Same, over a session that may still be starting (the batch launcher asks for it per run). */
    public static Adapters local(FunctionConfig config, Supplier<SparkSession> spark) {
        LocalObjectStore store = new LocalObjectStore(config.localStore());
        BundleStore bundles = new LocalBundleStore(store.root().resolve(config.modelPrefix()));
        LocalBatchLauncher launcher = new LocalBatchLauncher(spark);
        StoreJobs jobs = new StoreJobs(store, launcher, LOCAL_BACKEND);
        launcher.onRunEnded(jobs::runEnded);
        return new Adapters(store, bundles, launcher, jobs);
    }
}
