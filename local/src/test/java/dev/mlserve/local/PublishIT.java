package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.local.publish.BundlePublisher;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.bundle.S3BundleStore;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.MotoServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/** {@code publish} against a real moto_server: what is uploaded, in which order, and what is refused. */
@ExtendWith(MotoServer.Extension.class)
class PublishIT {
    private final MotoServer moto;
    private final S3Client s3;

    @TempDir
    Path dir;

    PublishIT(MotoServer moto) {
        this.moto = moto;
        this.s3 = moto.s3Client();
    }

    /** Records the key of every PutObject attempt in order; may run a hook before each goes out. */
    static final class Puts implements ExecutionInterceptor {
        final List<String> keys = Collections.synchronizedList(new ArrayList<>());
        volatile Consumer<String> before = key -> { };

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof PutObjectRequest put) {
                keys.add(put.key());
                before.accept(put.key());
            }
        }
    }

    @Test
    void publish_withLatest_uploadsEveryFileThenBundleJsonThenLatest() throws Exception {
        String bucket = bucket("order");
        Path bundle = fakeBundle("churn", "4");
        Puts puts = new Puts();

        Result r = run(client(puts), "publish", "--bundle", bundle.toString(), "--to", "s3://" + bucket + "/models/",
                "--latest");

        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(r.json().get("published").asText()).isEqualTo("s3://" + bucket + "/models/churn/4/");
        List<String> files = localKeys(bundle, "models/churn/4/");
        List<String> data = puts.keys.stream().filter(k -> k.startsWith("models/churn/4/")
                && !k.endsWith(Bundle.METADATA_FILE)).toList();
        assertThat(data).containsExactlyInAnyOrderElementsOf(files.stream()
                .filter(k -> !k.endsWith(Bundle.METADATA_FILE)).toList());
        List<String> last = puts.keys.subList(puts.keys.size() - 2, puts.keys.size());
        assertThat(last).containsExactly("models/churn/4/bundle.json", "models/churn/LATEST");
        assertThat(keysUnder(bucket, "models/")).containsExactlyInAnyOrderElementsOf(
                Stream.concat(files.stream(), Stream.of("models/churn/LATEST")).toList());

        S3BundleStore store = new S3BundleStore(s3, bucket, "models/", dir.resolve("cache"));
        assertThat(store.currentVersion("churn")).isEqualTo("4");
        Bundle fetched = store.fetch("churn", "4");
        assertThat(fetched.metadata().version()).isEqualTo("4");
        assertThat(Files.readString(fetched.directory().resolve("pipeline/stages/0_lr/data/part-00000.parquet")))
                .isEqualTo("coefficients of churn 4");
    }

    @Test
    void publish_withoutLatest_leavesLatestWhereItWas() throws Exception {
        String bucket = bucket("nolatest");
        publisher(s3).publish(fakeBundle("churn", "1"), BundlePublisher.Target.parse("s3://" + bucket + "/m"), true);

        publisher(s3).publish(fakeBundle("churn", "2"), BundlePublisher.Target.parse("s3://" + bucket + "/m"), false);

        assertThat(read(bucket, "m/churn/LATEST")).isEqualTo("1\n");
        assertThat(keysUnder(bucket, "m/churn/2/")).contains("m/churn/2/bundle.json");
    }

    @Test
    void publish_whenVersionExists_refusesAndWritesNothing() throws Exception {
        String bucket = bucket("exists");
        publisher(s3).publish(fakeBundle("churn", "3"), BundlePublisher.Target.parse("s3://" + bucket + "/models/"),
                true);
        Path changed = fakeBundle("churn", "3", "other coefficients");
        Puts puts = new Puts();
        List<String> before = keysUnder(bucket, "");

        Result r = run(client(puts), "publish", "--bundle", changed.toString(), "--to", "s3://" + bucket + "/models/",
                "--latest");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText()).contains("churn version 3 is already published")
                .contains("choose a new version");
        assertThat(puts.keys).isEmpty();
        assertThat(keysUnder(bucket, "")).containsExactlyInAnyOrderElementsOf(before);
        assertThat(read(bucket, "models/churn/3/pipeline/stages/0_lr/data/part-00000.parquet"))
                .isEqualTo("coefficients of churn 3");
    }

    @Test
    void publish_whileAnotherPublishOfTheVersionRuns_refusesAndWritesNothing() throws Exception {
        String bucket = bucket("race");
        Path first = fakeBundle("churn", "5", "first");
        Path second = fakeBundle("churn", "5", "second");
        CountDownLatch firstUploading = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        Puts firstPuts = new Puts();
        firstPuts.before = key -> {
            if (key.endsWith(".parquet")) {
                firstUploading.countDown();
                await(secondDone);
            }
        };
        BundlePublisher.Target target = BundlePublisher.Target.parse("s3://" + bucket + "/models/");
        CompletableFuture<BundlePublisher.Result> running = CompletableFuture.supplyAsync(
                () -> publisher(client(firstPuts)).publish(first, target, true));
        assertThat(firstUploading.await(30, TimeUnit.SECONDS)).isTrue();
        Puts secondPuts = new Puts();

        try {
            assertThatThrownBy(() -> publisher(client(secondPuts)).publish(second, target, true))
                    .isInstanceOf(BundlePublisher.VersionTakenException.class)
                    .hasMessageContaining("another publish of churn version 5 is under way");
        } finally {
            secondDone.countDown();
        }
        BundlePublisher.Result won = running.get(30, TimeUnit.SECONDS);

        assertThat(won.version()).isEqualTo("5");
        // the refused publish tried only its claim, which S3 turned down
        assertThat(secondPuts.keys).containsExactly("models/churn/5.publishing");
        assertThat(read(bucket, "models/churn/5/pipeline/stages/0_lr/data/part-00000.parquet")).isEqualTo("first");
        assertThat(keysUnder(bucket, "models/")).doesNotContain("models/churn/5.publishing");
    }

    @Test
    void publish_whenAnUploadFails_writesNoBundleJsonLeavesLatestAndCanBeRunAgain() throws Exception {
        String bucket = bucket("fails");
        BundlePublisher.Target target = BundlePublisher.Target.parse("s3://" + bucket + "/models/");
        publisher(s3).publish(fakeBundle("churn", "1"), target, true);
        Path bundle = fakeBundle("churn", "2");
        Puts puts = new Puts();
        puts.before = key -> {
            if (key.endsWith("samples.jsonl")) {
                throw new IllegalStateException("network gone");
            }
        };

        assertThatThrownBy(() -> publisher(client(puts)).publish(bundle, target, true))
                .hasStackTraceContaining("network gone");

        assertThat(keysUnder(bucket, "models/churn/2/")).doesNotContain("models/churn/2/bundle.json");
        assertThat(read(bucket, "models/churn/LATEST")).isEqualTo("1\n");
        assertThat(new S3BundleStore(s3, bucket, "models/", dir.resolve("cache")).versions("churn")).containsExactly("1");

        publisher(s3).publish(bundle, target, true);
        assertThat(read(bucket, "models/churn/LATEST")).isEqualTo("2\n");
    }

    @Test
    void publish_afterAPublishWasKilled_refusesNamingTheClaimToDelete() throws Exception {
        String bucket = bucket("killed");
        s3.putObject(PutObjectRequest.builder().bucket(bucket).key("models/churn/6.publishing").build(),
                RequestBody.fromString("left behind"));

        Result r = run(moto.s3Client(), "publish", "--bundle", fakeBundle("churn", "6").toString(), "--to",
                "s3://" + bucket + "/models/");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.json().get("error").asText())
                .contains("s3://" + bucket + "/models/churn/6.publishing exists").contains("delete that object");
        assertThat(keysUnder(bucket, "")).containsExactly("models/churn/6.publishing");
    }

    @Test
    void publish_toSomethingNotS3_exits2() throws Exception {
        Result r = run(moto.s3Client(), "publish", "--bundle", fakeBundle("churn", "1").toString(), "--to", "/tmp/models");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--to must be an S3 location like s3://BUCKET/models/");
    }

    private Path fakeBundle(String name, String version) throws IOException {
        return fakeBundle(name, version, "coefficients of " + name + " " + version);
    }

    /** A bundle folder as BundleWriter lays it out; the pipeline files are stand-ins (nothing loads them). */
    private Path fakeBundle(String name, String version, String coefficients) throws IOException {
        Path bundle = dir.resolve("bundles-" + System.nanoTime()).resolve(name).resolve(version);
        Files.createDirectories(bundle.resolve("pipeline/metadata"));
        Files.createDirectories(bundle.resolve("pipeline/stages/0_lr/data"));
        Files.writeString(bundle.resolve("pipeline/metadata/part-00000"), "{\"class\":\"org.apache.spark.ml.PipelineModel\"}");
        Files.writeString(bundle.resolve("pipeline/metadata/_SUCCESS"), "");
        Files.writeString(bundle.resolve("pipeline/stages/0_lr/data/part-00000.parquet"), coefficients);
        Files.writeString(bundle.resolve("samples.jsonl"), "{\"tenure\":1.0}\n");
        BundleFiles.writeMetadata(bundle, new BundleMetadata(name, version, "3.5.6", "2026-12-02T00:00:00Z",
                List.of(new FieldSpec("tenure", FieldType.DOUBLE, true)), List.of("prediction"), Map.of()));
        return bundle;
    }

    private static List<String> localKeys(Path bundle, String prefix) throws IOException {
        try (Stream<Path> walk = Files.walk(bundle)) {
            return walk.filter(Files::isRegularFile).map(p -> prefix + bundle.relativize(p).toString().replace('\\', '/'))
                    .toList();
        }
    }

    private String bucket(String what) {
        String bucket = "publish-" + what + "-" + System.nanoTime();
        s3.createBucket(b -> b.bucket(bucket));
        return bucket;
    }

    private List<String> keysUnder(String bucket, String prefix) {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    private String read(String bucket, String key) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
    }

    private S3Client client(Puts puts) {
        return moto.s3ClientBuilder().overrideConfiguration(c -> c.addExecutionInterceptor(puts)).build();
    }

    private static BundlePublisher publisher(S3Client client) {
        return new BundlePublisher(client);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    record Result(int code, String out, String err) {
        JsonNode json() throws IOException {
            return Json.MAPPER.readTree(out);
        }
    }

    /** The CLI with the given client; the CLI closes it, as it does its own. */
    private static Result run(S3Client client, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), new ByteArrayInputStream(new byte[0]), () -> {
                    throw new AssertionError("publish needs no Spark");
                }, () -> client).run(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
