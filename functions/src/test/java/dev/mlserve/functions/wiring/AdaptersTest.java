package dev.mlserve.functions.wiring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.emr.EmrServerlessLauncher;
import dev.mlserve.functions.emr.LocalBatchLauncher;
import dev.mlserve.functions.jobs.StoreJobs;
import dev.mlserve.functions.s3.S3ObjectStore;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.bundle.S3BundleStore;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdaptersTest {
    @TempDir
    Path temp;

    @Test
    void create_withLocalBackend_wiresTheDirectoryStoreAndTheInProcessLauncher() {
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, "local",
                FunctionConfig.LOCAL_STORE, temp.resolve("store").toString()));

        Adapters adapters = Adapters.create(config, mock(SparkSession.class));

        assertThat(adapters.objectStore()).isInstanceOf(LocalObjectStore.class);
        assertThat(((LocalObjectStore) adapters.objectStore()).root()).isEqualTo(temp.resolve("store"));
        assertThat(adapters.bundleStore()).isInstanceOf(LocalBundleStore.class);
        assertThat(((LocalBundleStore) adapters.bundleStore()).root()).isEqualTo(temp.resolve("store/models"));
        assertThat(adapters.launcher()).isInstanceOf(LocalBatchLauncher.class);
        assertThat(adapters.jobs()).isInstanceOf(StoreJobs.class);
        ((LocalBatchLauncher) adapters.launcher()).close();
    }

    @Test
    void create_withAwsBackend_wiresS3AndEmrServerlessFromTheConfiguration() {
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, "aws",
                FunctionConfig.BUCKET, "mlserve-bucket",
                FunctionConfig.EMR_APPLICATION_ID, "00abc123",
                FunctionConfig.EMR_JOB_ROLE_ARN, "arn:aws:iam::123456789012:role/mlserve-job",
                FunctionConfig.EMR_JOB_JAR_URI, "s3://mlserve-bucket/jars/emr-jobs.jar",
                FunctionConfig.CACHE_DIR, temp.resolve("cache").toString()));

        Adapters adapters = Adapters.create(config, mock(SparkSession.class));

        assertThat(adapters.objectStore()).isInstanceOf(S3ObjectStore.class);
        assertThat(adapters.objectStore().uri("jobs/x.json")).isEqualTo("s3://mlserve-bucket/jobs/x.json");
        assertThat(adapters.bundleStore()).isInstanceOf(S3BundleStore.class);
        assertThat(adapters.launcher()).isInstanceOf(EmrServerlessLauncher.class);
        assertThat(adapters.jobs()).isInstanceOf(StoreJobs.class);
    }
}
