package dev.mlserve.functions.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.ports.ObjectStore.ObjectInfo;
import dev.mlserve.scoring.testing.MotoServer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** S3ObjectStore against moto_server with the real SDK v2 client. */
@ExtendWith(MotoServer.Extension.class)
class S3ObjectStoreIT {
    private static S3Client s3;

    @TempDir
    Path temp;
    private String bucket;
    private S3ObjectStore store;

    @BeforeAll
    static void client(MotoServer moto) {
        s3 = moto.s3Client();
    }

    @AfterAll
    static void close() {
        s3.close();
    }

    @BeforeEach
    void freshBucket() {
        bucket = "objects-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
        store = new S3ObjectStore(s3, bucket, 2);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void put_thenHeadOpenDownload_answerTheContentAndTheUnquotedEtag() throws Exception {
        store.put("incoming/churn/a.csv", utf8("hello"), "text/csv");

        assertThat(store.head("incoming/churn/a.csv"))
                .contains(new ObjectInfo("incoming/churn/a.csv", 5, "5d41402abc4b2a76b9719d911017c592"));
        try (InputStream in = store.open("incoming/churn/a.csv")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
        }
        Path copy = temp.resolve("nested/copy.csv");
        store.download("incoming/churn/a.csv", copy);
        assertThat(copy).hasContent("hello");
        assertThat(s3.headObject(b -> b.bucket(bucket).key("incoming/churn/a.csv")).contentType())
                .isEqualTo("text/csv");
    }

    @Test
    void downloadVersion_byEtag_copiesTheObjectOnlyWhileItIsThatVersion() throws Exception {
        store.put("incoming/churn/a.csv", utf8("hello"), "text/csv");
        String first = store.head("incoming/churn/a.csv").orElseThrow().etag();
        Path copy = temp.resolve("a.csv");

        boolean current = store.downloadVersion("incoming/churn/a.csv", null, first, copy);
        store.put("incoming/churn/a.csv", utf8("overwritten"), "text/csv");
        Path stale = temp.resolve("stale.csv");
        boolean old = store.downloadVersion("incoming/churn/a.csv", null, first, stale);

        assertThat(current).isTrue();
        assertThat(copy).hasContent("hello");
        assertThat(old).as("If-Match on the old ETag").isFalse();
        assertThat(stale).doesNotExist();
    }

    @Test
    void downloadVersion_inAVersionedBucket_copiesTheVersionTheEventNamedAfterAnOverwrite() throws Exception {
        s3.putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(v -> v.status("Enabled")));
        String v1 = s3.putObject(b -> b.bucket(bucket).key("incoming/churn/a.csv"),
                RequestBody.fromString("first")).versionId();
        store.put("incoming/churn/a.csv", utf8("second"), "text/csv");
        Path copy = temp.resolve("v1.csv");

        boolean found = store.downloadVersion("incoming/churn/a.csv", v1, "etag-not-used-with-a-version", copy);

        assertThat(found).isTrue();
        assertThat(copy).hasContent("first");
    }

    @Test
    void copyVersion_byEtag_pinsTheObjectOnlyWhileItIsThatVersion() throws Exception {
        store.put("incoming/churn/a.csv", utf8("hello"), "text/csv");
        String first = store.head("incoming/churn/a.csv").orElseThrow().etag();

        boolean current = store.copyVersion("incoming/churn/a.csv", null, first, "staging/j/input.csv");
        store.put("incoming/churn/a.csv", utf8("overwritten"), "text/csv");
        boolean old = store.copyVersion("incoming/churn/a.csv", null, first, "staging/j2/input.csv");

        assertThat(current).isTrue();
        assertThat(store.open("staging/j/input.csv").readAllBytes()).isEqualTo(utf8("hello"));
        assertThat(old).as("the old ETag no longer names the object").isFalse();
        assertThat(store.head("staging/j2/input.csv")).isEmpty();
    }

    @Test
    void copyVersion_inAVersionedBucket_pinsTheVersionTheEventNamedAfterAnOverwrite() throws Exception {
        s3.putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(v -> v.status("Enabled")));
        String v1 = s3.putObject(b -> b.bucket(bucket).key("incoming/churn/a.csv"),
                RequestBody.fromString("first")).versionId();
        store.put("incoming/churn/a.csv", utf8("second"), "text/csv");

        boolean found = store.copyVersion("incoming/churn/a.csv", v1, "etag-not-used-with-a-version",
                "staging/j/input.csv");

        assertThat(found).isTrue();
        assertThat(store.open("staging/j/input.csv").readAllBytes()).isEqualTo(utf8("first"));
    }

    @Test
    void copyVersion_largerThanOnePart_copiesPartByPartIntoTheSameBytes() throws Exception {
        byte[] big = new byte[11 << 20];
        new java.util.Random(7).nextBytes(big);
        store.put("incoming/churn/big.parquet", big, "application/octet-stream");
        String etag = store.head("incoming/churn/big.parquet").orElseThrow().etag();
        S3ObjectStore inParts = new S3ObjectStore(s3, bucket, 1000, 5L << 20);

        boolean copied = inParts.copyVersion("incoming/churn/big.parquet", null, etag, "staging/j/input.parquet");

        assertThat(copied).isTrue();
        assertThat(store.open("staging/j/input.parquet").readAllBytes()).isEqualTo(big);
        assertThat(store.head("staging/j/input.parquet").orElseThrow().etag()).as("a multipart object").endsWith("-3");
    }

    @Test
    void putIfMatch_replacesOnlyWhileTheEtagIsTheOneRead() throws Exception {
        store.put("scored/churn/a.csv/_manifest.json", utf8("one"), "application/json");
        ObjectStore.Stored first = store.read("scored/churn/a.csv/_manifest.json").orElseThrow();

        boolean won = store.putIfMatch("scored/churn/a.csv/_manifest.json", utf8("two"), "application/json",
                first.etag());
        boolean lost = store.putIfMatch("scored/churn/a.csv/_manifest.json", utf8("three"), "application/json",
                first.etag());
        boolean absent = store.putIfMatch("scored/churn/b.csv/_manifest.json", utf8("x"), "application/json",
                first.etag());

        assertThat(won).isTrue();
        assertThat(lost).isFalse();
        assertThat(absent).isFalse();
        assertThat(new String(store.read("scored/churn/a.csv/_manifest.json").orElseThrow().bytes(),
                StandardCharsets.UTF_8)).isEqualTo("two");
        assertThat(store.read("scored/churn/b.csv/_manifest.json")).isEmpty();
    }

    @Test
    void headAndOpen_whenAbsent_answerEmptyAndNoSuchFile() {
        assertThat(store.head("jobs/missing.json")).isEmpty();
        assertThatThrownBy(() -> store.open("jobs/missing.json")).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("s3://" + bucket + "/jobs/missing.json");
    }

    @Test
    void putIfAbsent_whenKeyExists_answersFalseAndKeepsTheFirstContent() throws Exception {
        boolean first = store.putIfAbsent("jobs/by-token/abc", utf8("first"), "application/json");
        boolean second = store.putIfAbsent("jobs/by-token/abc", utf8("second"), "application/json");

        assertThat(first).isTrue();
        assertThat(second).isFalse();
        assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("jobs/by-token/abc")).asUtf8String())
                .isEqualTo("first");
    }

    @Test
    void putIfAbsent_whenAnotherClientWroteTheKey_answersFalse() throws Exception {
        s3.putObject(b -> b.bucket(bucket).key("jobs/by-token/other"), RequestBody.fromString("theirs"));

        assertThat(store.putIfAbsent("jobs/by-token/other", utf8("mine"), "application/json")).isFalse();
    }

    @Test
    void list_pagesThroughEveryKeyUnderThePrefixInKeyOrder() throws Exception {
        for (String k : new String[] {"scored/m/f/e", "scored/m/f/a", "scored/m/f/c", "scored/m/f/b", "scored/m/f/d",
            "scored/n/x"}) {
            store.put(k, utf8(k), "text/plain");
        }

        assertThat(store.list("scored/m/")).containsExactly("scored/m/f/a", "scored/m/f/b", "scored/m/f/c",
                "scored/m/f/d", "scored/m/f/e");
        assertThat(store.list("nothing/")).isEmpty();
    }

    @Test
    void upload_andDelete_writeAndRemoveTheObject() throws Exception {
        Path file = Files.writeString(temp.resolve("part.csv"), "a,b\n1,2\n");

        store.upload(file, "scored/m/f/scored/part.csv", "text/csv");
        assertThat(store.head("scored/m/f/scored/part.csv")).map(ObjectInfo::size).contains(8L);
        store.delete("scored/m/f/scored/part.csv");
        store.delete("scored/m/f/scored/part.csv");

        assertThat(store.head("scored/m/f/scored/part.csv")).isEmpty();
    }

    @Test
    void uri_isS3SchemeBucketAndKey() {
        assertThat(store.uri("scored/churn/a b.csv")).isEqualTo("s3://" + bucket + "/scored/churn/a b.csv");
        assertThat(store.uri("")).isEqualTo("s3://" + bucket + "/");
    }
}
