package dev.mlserve.functions.upload;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlserve.functions.emr.EmrClients;
import dev.mlserve.functions.emr.EmrServerlessLauncher;
import dev.mlserve.functions.jobs.StoreJobs;
import dev.mlserve.functions.jobs.Tokens;
import dev.mlserve.functions.s3.S3ObjectStore;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.S3BundleStore;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.MotoServer;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.emrserverless.model.JobRun;
import software.amazon.awssdk.services.emrserverless.model.JobRunSummary;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The upload function end to end against moto_server with the real SDK clients: S3 events loaded
 * with aws-lambda-java-tests, the bundle in S3, inline scoring on local Spark, batch jobs as EMR
 * Serverless job runs in the emulator.
 */
@ExtendWith(MotoServer.Extension.class)
class UploadIT {
    private static final String MODEL = "one-hot-logistic";
    private static final String ROLE = "arn:aws:iam::123456789012:role/mlserve-job";
    private static S3Client s3;
    private static EmrServerlessClient emr;

    @TempDir
    Path temp;
    private String bucket;
    private String applicationId;
    private S3ObjectStore store;

    @BeforeAll
    static void clients(MotoServer moto) {
        s3 = moto.s3Client();
        emr = EmrClients.builder(MotoServer.REGION, moto.endpoint()).credentialsProvider(moto.credentials()).build();
    }

    @AfterAll
    static void close() {
        s3.close();
        emr.close();
    }

    @BeforeEach
    void bucketWithBundle() throws Exception {
        bucket = "upload-it-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
        store = new S3ObjectStore(s3, bucket);
        Bundle bundle = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
        try (Stream<Path> files = Files.walk(bundle.directory())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String key = "models/" + MODEL + "/1/" + bundle.directory().relativize(f).toString().replace('\\', '/');
                s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(f));
            }
        }
        applicationId = emr.createApplication(b -> b.name("mlserve-upload-it").releaseLabel("emr-7.11.0").type("SPARK"))
                .applicationId();
    }

    private UploadHandler handler(long inlineMaxBytes) {
        EmrServerlessLauncher launcher = new EmrServerlessLauncher(emr, new EmrServerlessLauncher.Settings(
                applicationId, ROLE, "s3://" + bucket + "/jars/emr-jobs.jar", null, 60, 4, "14g"));
        UploadService service = new UploadService(store,
                new S3BundleStore(s3, bucket, "models/", temp.resolve("cache")),
                new SparkInlineScoring(TestSpark.session()), new StoreJobs(store, launcher, "emr-serverless"),
                new UploadService.Settings(bucket, "models/", inlineMaxBytes, temp.resolve("scratch")));
        return new UploadHandler(service);
    }

    /** Puts the object and answers its S3 event: the sample event with bucket, key, ETag and size patched. */
    private S3Event uploaded(String key, String content) throws Exception {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(content));
        String etag = s3.headObject(b -> b.bucket(bucket).key(key)).eTag().replace("\"", "");
        JsonNode event;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("events/s3-put-incoming.json")) {
            event = Json.MAPPER.readTree(in);
        }
        JsonNode s3Node = event.path("Records").get(0).path("s3");
        ((ObjectNode) s3Node.path("bucket")).put("name", bucket).put("arn", "arn:aws:s3:::" + bucket);
        ((ObjectNode) s3Node.path("object")).put("key", URLEncoder.encode(key, StandardCharsets.UTF_8)
                .replace("%2F", "/")).put("eTag", etag).put("size", content.getBytes(StandardCharsets.UTF_8).length);
        Path file = Files.createTempFile(temp, "s3-event-", ".json");
        Json.MAPPER.writeValue(file.toFile(), event);
        return EventLoader.loadS3Event(file.toString());
    }

    private String text(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
    }

    private List<String> keys(String prefix) {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().map(S3Object::key)
                .toList();
    }

    @Test
    void smallCsvEvent_producesScoredRowsRejectedAndManifestInS3_andARedeliveryChangesNothing() throws Exception {
        String key = "incoming/" + MODEL + "/my customers.csv";
        String csv = "id,plan,region,tenure,charges,calls,autopay\n"
                + "1,basic,north,12.5,40.0,2,true\n"
                + "2,premium,south,,99.5,0,false\n"
                + "3,standard,east,30.0,55.0,7,\n"
                + "4,basic,west,not-a-number,20.0,1,true\n";
        S3Event event = uploaded(key, csv);
        UploadHandler handler = handler(1 << 20);
        String prefix = "scored/" + MODEL + "/my customers.csv/";

        String answer = handler.handleRequest(event, null);

        assertThat(answer).contains("SCORED_INLINE");
        JsonNode manifest = Json.MAPPER.readTree(text(prefix + "_manifest.json"));
        assertThat(manifest.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest.path("input").asText()).isEqualTo("s3://" + bucket + "/" + key);
        assertThat(manifest.path("inputEtag").asText())
                .isEqualTo(event.getRecords().get(0).getS3().getObject().geteTag());
        assertThat(manifest.path("rowsIn").asLong()).isEqualTo(4);
        assertThat(manifest.path("rowsScored").asLong()).isEqualTo(3);
        assertThat(manifest.path("rowsRejected").asLong()).isEqualTo(1);
        assertThat(manifest.path("route").asText()).isEqualTo("inline");
        String scoredUri = manifest.path("output").path("scored").asText();
        assertThat(scoredUri).startsWith("s3://" + bucket + "/" + prefix + "runs/").endsWith("/scored/");
        String run = scoredUri.substring(("s3://" + bucket + "/").length(), scoredUri.length() - "scored/".length());
        assertThat(manifest.path("output").path("rejected").asText())
                .isEqualTo("s3://" + bucket + "/" + run + "rejected.jsonl");
        List<String> parts = keys(run + "scored/part-");
        assertThat(parts).isNotEmpty().allMatch(k -> k.endsWith(".csv"));
        String scored = parts.stream().map(this::text).reduce("", String::concat);
        assertThat(scored.lines().findFirst().orElseThrow()).startsWith("id,plan,region").contains("prediction")
                .contains("probability");
        assertThat(scored.lines().filter(l -> !l.startsWith("id,"))).hasSize(3);
        List<String> rejected = text(run + "rejected.jsonl").lines().toList();
        assertThat(rejected).singleElement().asString().contains("not-a-number").contains("tenure");
        assertThat(keys(prefix)).noneMatch(k -> k.endsWith(".crc"));
        assertThat(keys("incoming/")).containsExactly(key);

        String again = handler.handleRequest(event, null);

        assertThat(again).contains("ALREADY_DONE");
        assertThat(text(prefix + "_manifest.json")).isEqualTo(Json.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsString(manifest));
        assertThat(keys(run + "scored/part-")).isEqualTo(parts);
        assertThat(keys(prefix + "runs/")).allMatch(k -> k.startsWith(run));
    }

    @Test
    void largeObjectEvent_deliveredTwice_startsExactlyOneJobRunInTheEmulator() throws Exception {
        String key = "incoming/" + MODEL + "/big.csv";
        S3Event event = uploaded(key, "id,plan\n1,basic\n2,premium\n");
        String etag = event.getRecords().get(0).getS3().getObject().geteTag();
        UploadHandler handler = handler(10);

        handler.handleRequest(event, null);
        String token = Tokens.forUpload(bucket, key, etag);
        String jobId = "upload-" + token.substring(0, 32);
        String pinned = text("staging/" + jobId + "/input.csv");
        handler.handleRequest(event, null);

        List<JobRunSummary> runs = emr.listJobRuns(b -> b.applicationId(applicationId)).jobRuns();
        assertThat(runs).hasSize(1);
        JobRun run = emr.getJobRun(b -> b.applicationId(applicationId).jobRunId(runs.get(0).id())).jobRun();
        assertThat(run.name()).isEqualTo("mlserve-" + MODEL + "-" + jobId);
        assertThat(run.jobDriver().sparkSubmit().entryPointArguments()).containsExactly(
                "--bundle", "s3://" + bucket + "/models/" + MODEL + "/1",
                "--input", "s3://" + bucket + "/staging/" + jobId + "/input.csv",
                "--format", "csv",
                "--output", "s3://" + bucket + "/scored/" + MODEL + "/big.csv/runs/" + jobId + "/",
                "--job-id", jobId,
                "--input-etag", etag,
                "--source", "s3://" + bucket + "/" + key,
                "--route-reason", "object of 26 bytes > upload inline limit of 10 bytes");
        assertThat(pinned).as("the event's version, pinned for the job").isEqualTo("id,plan\n1,basic\n2,premium\n");
        JsonNode record = Json.MAPPER.readTree(text("jobs/" + jobId + ".json"));
        assertThat(record.path("runId").asText()).isEqualTo(runs.get(0).id());
        assertThat(record.path("clientToken").asText()).isEqualTo(token);
        assertThat(keys("jobs/by-token/")).containsExactly("jobs/by-token/" + Tokens.sha256Hex(token));
        // moto ends every run SUCCESS at once without running it: the redelivery finds the run ended
        // with no manifest of its own, and the file ends in a FAILED manifest saying so.
        JsonNode manifest = Json.MAPPER.readTree(text("scored/" + MODEL + "/big.csv/_manifest.json"));
        assertThat(manifest.path("status").asText()).isEqualTo("FAILED");
        assertThat(manifest.path("jobId").asText()).isEqualTo(jobId);
        assertThat(manifest.path("inputEtag").asText()).isEqualTo(etag);
        assertThat(manifest.path("error").asText()).contains("without writing its _manifest.json");
        assertThat(keys("staging/")).isEmpty();
    }

    @Test
    void unknownModelEvent_writesAFailedManifestSayingWhy() throws Exception {
        S3Event event = uploaded("incoming/no-such-model/a.csv", "id,plan\n1,basic\n");

        handler(1 << 20).handleRequest(event, null);

        JsonNode manifest = Json.MAPPER.readTree(text("scored/no-such-model/a.csv/_manifest.json"));
        assertThat(manifest.path("status").asText()).isEqualTo("FAILED");
        assertThat(manifest.path("error").asText()).contains("unknown model 'no-such-model'");
    }
}
