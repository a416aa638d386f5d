package dev.mlserve.scoring.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import dev.mlserve.scoring.error.ModelNotFoundException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** What moto makes awkward: listings over several pages, and an object changing mid-download. */
class S3BundleStoreTest {
    private static final String BUCKET = "bundles";
    private static final String DIR = "models/churn/1/";

    private final S3Client s3 = mock(S3Client.class);
    /** The bucket's current content: key -> bytes; ETag = "e" + content hash. */
    private final Map<String, byte[]> objects = new HashMap<>();

    @TempDir
    Path cache;

    @Test
    void fetch_whenTheVersionListingSpansTwoPages_downloadsTheObjectsOfBothPages() {
        putObject(DIR + "bundle.json", BundleFiles.toJson(metadata()));
        putObject(DIR + "pipeline/metadata/part-00000", "{\"class\":\"PipelineModel\"}");
        putObject(DIR + "pipeline/stages/0_strIdx/data/part-00000.parquet", "PAR1");
        when(s3.listObjectsV2(request(DIR, null))).thenReturn(page(null, "t1",
                DIR + "bundle.json", DIR + "pipeline/metadata/part-00000"));
        when(s3.listObjectsV2(request(DIR, "t1"))).thenReturn(page(null, null,
                DIR + "pipeline/stages/0_strIdx/data/part-00000.parquet"));
        serveGetObject(null);

        Bundle bundle = store().fetch("churn", "1");

        assertThat(bundle.directory().resolve("pipeline/stages/0_strIdx/data/part-00000.parquet")).hasContent("PAR1");
        assertThat(bundle.directory().resolve("pipeline/metadata/part-00000")).hasContent("{\"class\":\"PipelineModel\"}");
        assertThat(bundle.metadata()).isEqualTo(metadata());
    }

    @Test
    void versions_whenTheModelListingSpansTwoPages_combinesBothAndSkipsVersionsWithoutBundleJson() {
        String model = "models/churn/";
        when(s3.listObjectsV2(argThat((ListObjectsV2Request r) -> r != null && r.prefix().equals(model)
                && "/".equals(r.delimiter()) && r.continuationToken() == null)))
                .thenReturn(page(List.of(model + "10/", model + "2/"), "t1"));
        when(s3.listObjectsV2(argThat((ListObjectsV2Request r) -> r != null && r.prefix().equals(model)
                && "/".equals(r.delimiter()) && "t1".equals(r.continuationToken()))))
                .thenReturn(page(List.of(model + "3/", model + "not valid/"), null));
        when(s3.headObject(any(HeadObjectRequest.class))).thenAnswer(inv -> {
            HeadObjectRequest r = inv.getArgument(0);
            if (r.key().equals(model + "3/bundle.json")) {
                throw NoSuchKeyException.builder().statusCode(404).message("Not Found").build();
            }
            return HeadObjectResponse.builder().build();
        });

        List<String> versions = store().versions("churn");

        assertThat(versions).containsExactly("2", "10");
        verify(s3, never()).headObject(argThat((HeadObjectRequest r) -> r != null && r.key().contains("not valid")));
    }

    @Test
    void fetch_whenAnObjectChangesDuringTheDownload_listsAgainAndCachesTheNewContent() {
        putObject(DIR + "bundle.json", BundleFiles.toJson(metadata()));
        putObject(DIR + "pipeline/metadata/part-00000", "old");
        when(s3.listObjectsV2(request(DIR, null))).thenAnswer(inv -> page(null, null,
                DIR + "bundle.json", DIR + "pipeline/metadata/part-00000"));
        AtomicBoolean changed = serveGetObject(DIR + "pipeline/metadata/part-00000");

        Bundle bundle = store().fetch("churn", "1");

        assertThat(changed).isTrue();
        verify(s3, times(2)).listObjectsV2(request(DIR, null));
        assertThat(bundle.directory().resolve("pipeline/metadata/part-00000")).hasContent("new");
        assertThat(bundle.directory().getParent()).isDirectoryContaining(p -> p.equals(bundle.directory()));
    }

    @Test
    void fetch_withPathTrickInName_isRefusedWithoutTouchingS3() {
        assertThatThrownBy(() -> store().fetch("../x", null))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("'../x' is not a valid model");

        verifyNoInteractions(s3);
    }

    private S3BundleStore store() {
        return new S3BundleStore(s3, BUCKET, "models", cache);
    }

    /**
     * GetObject honouring If-Match like S3. The first GET of {@code changingKey} (null: none) finds
     * the object already replaced by "new" (another ETag), so that request fails with 412.
     *
     * @return set once the object was replaced
     */
    private AtomicBoolean serveGetObject(String changingKey) {
        AtomicBoolean changed = new AtomicBoolean(false);
        when(s3.getObject(any(GetObjectRequest.class), any(ResponseTransformer.class))).thenAnswer(inv -> {
            GetObjectRequest r = inv.getArgument(0);
            if (r.key().equals(changingKey) && changed.compareAndSet(false, true)) {
                putObject(r.key(), "new");
            }
            byte[] content = objects.get(r.key());
            if (r.ifMatch() != null && !r.ifMatch().equals(eTag(content))) {
                throw S3Exception.builder().statusCode(412).message("Precondition Failed").build();
            }
            ResponseTransformer<GetObjectResponse, ?> transformer = inv.getArgument(1);
            return transformer.transform(GetObjectResponse.builder().eTag(eTag(content)).build(),
                    AbortableInputStream.create(new ByteArrayInputStream(content)));
        });
        return changed;
    }

    private ListObjectsV2Response page(List<String> commonPrefixes, String next, String... keys) {
        ListObjectsV2Response.Builder page = ListObjectsV2Response.builder()
                .isTruncated(next != null)
                .nextContinuationToken(next)
                .contents(java.util.Arrays.stream(keys)
                        .map(k -> S3Object.builder().key(k).eTag(eTag(objects.get(k)))
                                .size((long) objects.get(k).length).build())
                        .toList());
        if (commonPrefixes != null) {
            page.commonPrefixes(commonPrefixes.stream().map(p -> CommonPrefix.builder().prefix(p).build()).toList());
        }
        return page.build();
    }

    private static ListObjectsV2Request request(String prefix, String token) {
        return ListObjectsV2Request.builder().bucket(BUCKET).prefix(prefix).continuationToken(token).build();
    }

    private void putObject(String key, String content) {
        putObject(key, content.getBytes(StandardCharsets.UTF_8));
    }

    private void putObject(String key, byte[] content) {
        objects.put(key, content);
    }

    private static String eTag(byte[] content) {
        return "\"e" + java.util.Arrays.hashCode(content) + "\"";
    }

    private static BundleMetadata metadata() {
        return new BundleMetadata("churn", "1", "3.5.6", "2026-11-25T06:00:00Z",
                List.of(new FieldSpec("plan", FieldType.STRING, false)), List.of("prediction"), Map.of());
    }
}
