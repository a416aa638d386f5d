package dev.mlserve.scoring.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.scoring.error.BundleFormatException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.testing.MotoServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** S3BundleStore against moto_server with the real SDK v2 client. */
@ExtendWith(MotoServer.Extension.class)
class S3BundleStoreIT {
    private static final String PREFIX = "models/";
    /** Every request the store's client sent, by request type, e.g. "GetObjectRequest". */
    private static final List<String> STORE_REQUESTS = new CopyOnWriteArrayList<>();
    private static S3Client admin;
    private static S3Client storeClient;

    @TempDir
    Path temp;
    private String bucket;
    private Path cache;
    private S3BundleStore store;

    @BeforeAll
    static void clients(MotoServer moto) {
        admin = moto.s3Client();
        storeClient = moto.s3ClientBuilder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                        STORE_REQUESTS.add(context.request().getClass().getSimpleName());
                    }
                }))
                .build();
    }

    @AfterAll
    static void closeClients() {
        admin.close();
        storeClient.close();
    }

    @BeforeEach
    void freshBucket() {
        bucket = "bundles-" + UUID.randomUUID();
        admin.createBucket(b -> b.bucket(bucket));
        cache = temp.resolve("cache");
        store = new S3BundleStore(storeClient, bucket, PREFIX, cache);
        STORE_REQUESTS.clear();
    }

    @Test
    void fetch_byVersion_downloadsEveryObjectIntoTheCache() throws Exception {
        Map<String, byte[]> files = uploadBundle("churn", "1");

        Bundle bundle = store.fetch("churn", "1");

        assertThat(bundle.metadata()).isEqualTo(metadata("churn", "1"));
        assertThat(bundle.directory()).startsWith(cache.resolve("churn").resolve("1"));
        assertThat(bundle.directory().getParent()).isEqualTo(cache.resolve("churn").resolve("1"));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertThat(bundle.directory().resolve(file.getKey())).as(file.getKey()).hasBinaryContent(file.getValue());
        }
        assertThat(bundle.pipelineDirectory()).isDirectory();
        assertThat(countRequests("GetObjectRequest")).isEqualTo(files.size());
    }

    @Test
    void fetch_withoutVersion_followsLatest() {
        uploadBundle("churn", "1");
        uploadBundle("churn", "2");
        put(PREFIX + "churn/LATEST", "1\n");

        Bundle bundle = store.fetch("churn", null);

        assertThat(bundle.metadata().version()).isEqualTo("1");
        assertThat(store.currentVersion("churn")).isEqualTo("1");
    }

    @Test
    void fetch_withoutVersionOrLatest_takesTheNumericallyHighestVersion() {
        uploadBundle("churn", "2");
        uploadBundle("churn", "10");

        Bundle bundle = store.fetch("churn", null);

        assertThat(bundle.metadata().version()).isEqualTo("10");
        assertThat(bundle.directory().getParent()).isEqualTo(cache.resolve("churn").resolve("10"));
    }

    @Test
    void fetch_sweepingManyVersions_keepsOnlyTheMostRecentlyUsedInTheCache() throws Exception {
        for (int v = 1; v <= 12; v++) {
            uploadBundle("churn", Integer.toString(v));
        }
        store.fetch("churn", "1");
        for (int v = 2; v <= 12; v++) {
            Thread.sleep(5); // distinct modification times
            store.fetch("churn", Integer.toString(v));
            store.fetch("churn", "1"); // kept in use all along
        }

        List<String> cached;
        try (java.util.stream.Stream<Path> versions = Files.list(cache.resolve("churn"))) {
            cached = versions.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(cached).hasSize(S3BundleStore.MAX_CACHED_VERSIONS).contains("1", "12", "11");
        assertThat(cached).doesNotContain("2", "3");
    }

    @Test
    void fetch_twice_downloadsOnlyOnce() throws Exception {
        int objects = uploadBundle("churn", "1").size();
        Bundle first = store.fetch("churn", "1");
        FileTime firstModified = Files.getLastModifiedTime(first.directory());

        Bundle second = store.fetch("churn", "1");

        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(second.directory())).isEqualTo(firstModified);
        assertThat(countRequests("GetObjectRequest")).isEqualTo(objects);
        assertThat(countRequests("ListObjectsV2Request")).isEqualTo(2);
    }

    @Test
    void fetch_afterAnObjectIsOverwritten_downloadsTheNewContentUnderANewKey() {
        uploadBundle("churn", "1");
        Bundle before = store.fetch("churn", "1");
        put(PREFIX + "churn/1/pipeline/metadata/part-00000", "{\"retrained\":true}\n");

        Bundle after = store.fetch("churn", "1");

        assertThat(after.directory()).isNotEqualTo(before.directory());
        assertThat(after.directory().resolve("pipeline/metadata/part-00000")).hasContent("{\"retrained\":true}\n");
        assertThat(before.directory()).as("the older cache folder is removed").doesNotExist();
        assertThat(cache.resolve("churn").resolve("1")).isDirectoryContaining(p -> p.equals(after.directory()));
    }

    @Test
    void fetch_unknownModel_throwsModelNotFound() {
        uploadBundle("churn", "1");

        assertThatThrownBy(() -> store.fetch("fraud", null))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage("unknown model 'fraud'");
        assertThatThrownBy(() -> store.fetch("fraud", "1"))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage("model 'fraud' has no version '1'");
    }

    @Test
    void fetch_unknownVersion_throwsModelNotFound() {
        uploadBundle("churn", "1");

        assertThatThrownBy(() -> store.fetch("churn", "7"))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage("model 'churn' has no version '7'");
    }

    @Test
    void fetch_versionWhoseBundleJsonIsNotUploadedYet_throwsModelNotFound() {
        put(PREFIX + "churn/1/pipeline/metadata/part-00000", "{}");

        assertThatThrownBy(() -> store.fetch("churn", "1"))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage("model 'churn' has no version '1'");
    }

    @Test
    void fetch_bundleWithoutPipeline_throwsBundleFormatAndCachesNothing() {
        put(PREFIX + "churn/1/bundle.json", BundleFiles.toJson(metadata("churn", "1")));

        assertThatThrownBy(() -> store.fetch("churn", "1"))
                .isInstanceOf(BundleFormatException.class)
                .hasMessage("bundle s3://" + bucket + "/models/churn/1 has no pipeline/ folder");
        assertThat(cache.resolve("churn").resolve("1")).isEmptyDirectory();
    }

    @Test
    void fetch_invalidBundleJson_throwsBundleFormatNamingTheObjectAndCachesNothing() {
        uploadBundle("churn", "1");
        put(PREFIX + "churn/1/bundle.json", "{\"name\": \"churn\"");

        assertThatThrownBy(() -> store.fetch("churn", "1"))
                .isInstanceOf(BundleFormatException.class)
                .hasMessageStartingWith("s3://" + bucket + "/models/churn/1/bundle.json is not a valid bundle.json");
        assertThat(cache.resolve("churn").resolve("1")).isEmptyDirectory();
    }

    @Test
    void versions_listsOnlyVersionsWithBundleJsonOldestFirstWithoutDownloading() {
        uploadBundle("churn", "10");
        uploadBundle("churn", "beta");
        uploadBundle("churn", "2");
        uploadBundle("churn", "1");
        put(PREFIX + "churn/3/pipeline/metadata/part-00000", "{}");

        List<String> versions = store.versions("churn");

        assertThat(versions).containsExactly("1", "2", "10", "beta");
        assertThat(STORE_REQUESTS).doesNotContain("GetObjectRequest");
    }

    @Test
    void currentVersion_withoutLatest_isTheHighestCompleteVersionWithoutDownloading() {
        uploadBundle("churn", "2");
        uploadBundle("churn", "10");
        put(PREFIX + "churn/11/pipeline/metadata/part-00000", "{}");

        String current = store.currentVersion("churn");

        assertThat(current).isEqualTo("10");
        assertThat(countRequests("GetObjectRequest")).as("only the LATEST probe").isEqualTo(1);
        assertThat(cache).doesNotExist();
    }

    @Test
    void versions_unknownModel_throwsModelNotFound() {
        uploadBundle("churn", "1");

        assertThatThrownBy(() -> store.versions("chur"))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage("unknown model 'chur'");
    }

    @Test
    void anyCall_withPathTrickInNameOrVersion_isRefusedBeforeAnyS3Call() {
        uploadBundle("churn", "1");

        assertThatThrownBy(() -> store.fetch("../x", null)).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("'../x' is not a valid model");
        assertThatThrownBy(() -> store.fetch("../x", "1")).isInstanceOf(ModelNotFoundException.class);
        assertThatThrownBy(() -> store.fetch("churn", "../1")).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("'../1' is not a valid version");
        assertThatThrownBy(() -> store.versions("../x")).isInstanceOf(ModelNotFoundException.class);
        assertThatThrownBy(() -> store.currentVersion("a/b")).isInstanceOf(ModelNotFoundException.class);

        assertThat(STORE_REQUESTS).isEmpty();
        assertThat(cache).doesNotExist();
    }

    @Test
    void fetch_fromFourThreadsAtOnce_allGetTheSameCompleteFolderAndNoLeftovers() throws Exception {
        Map<String, byte[]> files = uploadBundle("churn", "1");
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Bundle>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return store.fetch("churn", "1");
                }));
            }
            List<Bundle> bundles = new ArrayList<>();
            for (Future<Bundle> r : results) {
                bundles.add(r.get(60, TimeUnit.SECONDS));
            }

            assertThat(bundles).allMatch(b -> b.equals(bundles.get(0)));
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                assertThat(bundles.get(0).directory().resolve(file.getKey())).hasBinaryContent(file.getValue());
            }
            try (Stream<Path> children = Files.list(cache.resolve("churn").resolve("1"))) {
                assertThat(children).containsExactly(bundles.get(0).directory());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fetch_withEmptyPrefix_readsBundlesAtTheBucketRoot() {
        uploadBundle("", "churn", "3");
        S3BundleStore rootStore = new S3BundleStore(storeClient, bucket, "", cache);

        Bundle bundle = rootStore.fetch("churn", null);

        assertThat(bundle.metadata().version()).isEqualTo("3");
        assertThat(rootStore.versions("churn")).containsExactly("3");
    }

    private long countRequests(String type) {
        return STORE_REQUESTS.stream().filter(type::equals).count();
    }

    private Map<String, byte[]> uploadBundle(String name, String version) {
        return uploadBundle(PREFIX, name, version);
    }

    /** A bundle the way a Spark save plus bundle.json looks, with nested folders and a binary file. */
    private Map<String, byte[]> uploadBundle(String prefix, String name, String version) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("pipeline/metadata/part-00000", utf8("{\"class\":\"org.apache.spark.ml.PipelineModel\","
                + "\"sparkVersion\":\"3.5.6\",\"uid\":\"pipeline_" + name + version + "\"}\n"));
        files.put("pipeline/metadata/_SUCCESS", new byte[0]);
        files.put("pipeline/stages/0_strIdx_4b1c/metadata/part-00000",
                utf8("{\"class\":\"org.apache.spark.ml.feature.StringIndexerModel\"}\n"));
        byte[] parquet = new byte[4096];
        for (int i = 0; i < parquet.length; i++) {
            parquet[i] = (byte) (i * 31 + version.hashCode());
        }
        files.put("pipeline/stages/1_logreg_9f2e/data/part-00000-1c2d.snappy.parquet", parquet);
        files.put(Bundle.METADATA_FILE, BundleFiles.toJson(metadata(name, version)));
        // bundle.json last, the way writers publish a complete version
        files.forEach((relative, bytes) -> put(prefix + name + "/" + version + "/" + relative, bytes));
        return files;
    }

    private static BundleMetadata metadata(String name, String version) {
        return new BundleMetadata(name, version, "3.5.6", "2026-11-25T06:00:00Z",
                List.of(new FieldSpec("plan", FieldType.STRING, false), new FieldSpec("tenure", FieldType.DOUBLE, true)),
                List.of("prediction", "probability"), Map.of("areaUnderROC", 0.84));
    }

    private void put(String key, String content) {
        put(key, utf8(content));
    }

    private void put(String key, byte[] content) {
        admin.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
