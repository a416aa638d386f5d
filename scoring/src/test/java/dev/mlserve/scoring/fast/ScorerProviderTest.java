package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.HadoopBundleStore;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScorerProviderTest {
    private final SparkSession spark = TestSpark.session();
    @TempDir
    Path temp;

    private Bundle withoutSnapshot(Bundle bundle) throws Exception {
        Path copy = temp.resolve("no-snapshot");
        BundleFiles.copyTree(bundle.directory(), copy);
        Files.delete(copy.resolve(PipelineSnapshot.FILE));
        return new Bundle(bundle.metadata(), copy);
    }

    @Test
    void scorer_fromTheSnapshotOrThroughPipelineModelLoadOrAHadoopPath_answersTheSame() throws Exception {
        Bundle bundle = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
        assertThat(bundle.directory().resolve(PipelineSnapshot.FILE)).isRegularFile();
        List<Map<String, Object>> records = ParityPipelines.records(300, 17);

        FastPathScorer fromSnapshot = ScorerProvider.of(spark).scorer(bundle);
        FastPathScorer loaded = ScorerProvider.of(spark).scorer(withoutSnapshot(bundle));
        FastPathScorer viaHadoop = ScorerProvider.of(spark).scorer(HadoopBundleStore.open(
                spark.sparkContext().hadoopConfiguration(), bundle.directory().toUri().toString()));

        assertThat(fromSnapshot.awaitVerification(Duration.ofMinutes(2))).endsWith("(recorded and live)");
        assertThat(loaded.fastPathStatus()).startsWith("on: self-check identical on ").doesNotContain("recorded");
        assertThat(viaHadoop.fastPathStatus()).as("the EMR job's way").startsWith("on: self-check identical on ");
        String expected = Parity.exact(fromSnapshot.pipelineScorer().predict(records, null));
        assertThat(Parity.exact(fromSnapshot.predict(records, null))).isEqualTo(expected);
        assertThat(Parity.exact(loaded.predict(records, null))).isEqualTo(expected);
        assertThat(Parity.exact(viaHadoop.predict(records, null))).isEqualTo(expected);
    }

    @Test
    void load_restoresTheSessionsCodegenSettings() throws Exception {
        spark.conf().set("spark.sql.codegen.wholeStage", "true");
        boolean factorySet = spark.conf().getOption("spark.sql.codegen.factoryMode").isDefined();

        ScorerProvider.of(spark).scorer(withoutSnapshot(ParityPipelines.bundle(Kind.IMPUTER_FOREST)));

        assertThat(spark.conf().get("spark.sql.codegen.wholeStage")).isEqualTo("true");
        assertThat(spark.conf().getOption("spark.sql.codegen.factoryMode").isDefined()).isEqualTo(factorySet);
    }

    @Test
    void twoRequestsForOneBundleAtOnce_shareOneLoad() throws Exception {
        Bundle bundle = withoutSnapshot(ParityPipelines.bundle(Kind.BUCKETIZER_GBT));
        ScorerProvider provider = ScorerProvider.of(spark);
        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<FastPathScorer> a = pool.submit(() -> {
                together.await(10, TimeUnit.SECONDS);
                return provider.scorer(bundle);
            });
            Future<FastPathScorer> b = pool.submit(() -> {
                together.await(10, TimeUnit.SECONDS);
                return provider.scorer(bundle);
            });

            assertThat(a.get(2, TimeUnit.MINUTES)).isSameAs(b.get(2, TimeUnit.MINUTES));
            assertThat(provider.loaded()).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLoadThatFails_isNotKept_soTheNextRequestTriesAgain() throws Exception {
        Bundle good = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
        Path broken = temp.resolve("broken");
        Files.createDirectories(broken);
        Bundle missing = new Bundle(good.metadata(), broken);
        ScorerProvider provider = ScorerProvider.of(spark);

        assertThatThrownBy(() -> provider.scorer(missing)).isInstanceOf(RuntimeException.class);
        Files.delete(broken);
        BundleFiles.copyTree(good.directory(), broken);

        assertThat(provider.scorer(new Bundle(good.metadata(), broken)).fastPathEnabled()).isTrue();
    }
}
