package dev.mlserve.functions.api;

import static dev.mlserve.functions.api.ApiFixtures.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.emr.EmrClients;
import dev.mlserve.functions.emr.EmrServerlessLauncher;
import dev.mlserve.functions.jobs.StoreJobs;
import dev.mlserve.functions.s3.S3ObjectStore;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.scoring.bundle.S3BundleStore;
import dev.mlserve.scoring.testing.MotoServer;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.emrserverless.model.JobRun;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The predict function end to end against moto_server with the real SDK clients: the bundle lives
 * in S3 and is scored inline through the handler; a request over the inline limit is staged in S3
 * and shows up as an EMR Serverless job run with the launcher's exact fields.
 */
@ExtendWith(MotoServer.Extension.class)
class PredictApiIT {
    private static final String ROLE = "arn:aws:iam::123456789012:role/mlserve-job";
    private static S3Client s3;
    private static EmrServerlessClient emr;
    private static String bucket;
    private static String applicationId;

    @TempDir
    static Path temp;

    @BeforeAll
    static void bucketWithBundles(MotoServer moto) throws Exception {
        s3 = moto.s3Client();
        emr = EmrClients.builder(MotoServer.REGION, moto.endpoint()).credentialsProvider(moto.credentials()).build();
        bucket = "predict-it-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
        Path root = ApiFixtures.bundleRoot();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String key = "models/" + root.relativize(f).toString().replace('\\', '/');
                s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(f));
            }
        }
        applicationId = emr.createApplication(b -> b.name("mlserve-predict-it").releaseLabel("emr-7.11.0")
                .type("SPARK")).applicationId();
    }

    @AfterAll
    static void close() {
        s3.close();
        emr.close();
    }

    private static PredictHandler handler(int inlineMaxRecords) {
        TestSpark.session();
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(
                FunctionConfig.BACKEND, "aws",
                FunctionConfig.BUCKET, bucket,
                FunctionConfig.INLINE_MAX_RECORDS, Integer.toString(inlineMaxRecords),
                FunctionConfig.CACHE_DIR, temp.resolve("cache-" + inlineMaxRecords).toString(),
                FunctionConfig.EMR_APPLICATION_ID, applicationId,
                FunctionConfig.EMR_JOB_ROLE_ARN, ROLE,
                FunctionConfig.EMR_JOB_JAR_URI, "s3://" + bucket + "/artifacts/emr-jobs.jar",
                FunctionConfig.EMR_LOG_URI, "s3://" + bucket + "/logs/emr/"));
        PredictionService service = PredictHandler.create(config, (c, spark) -> {
            S3ObjectStore store = new S3ObjectStore(s3, c.bucket());
            EmrServerlessLauncher launcher = new EmrServerlessLauncher(emr, EmrServerlessLauncher.Settings.from(c));
            return new Adapters(store, new S3BundleStore(s3, c.bucket(), c.modelPrefix(), c.cacheDir()), launcher,
                    new StoreJobs(store, launcher, Adapters.EMR_BACKEND));
        });
        return new PredictHandler(service, RequestTelemetry.standard(
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    }

    @Test
    void predict_smallRequest_isScoredInlineFromTheBundleInS3() {
        APIGatewayProxyResponseEvent response = handler(1000).handleRequest(
                EventLoader.loadApiGatewayRestEvent("events/predict-records.json"), ApiFixtures.context());

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
        JsonNode body = body(response);
        assertThat(body.get("route").asText()).isEqualTo("inline");
        assertThat(body.get("version").asText()).isEqualTo("1");
        assertThat(body.get("predictions")).hasSize(3);
    }

    @Test
    void predict_overInlineLimit_stagesRecordsAndStartsEmrJobRunWithExactFields() {
        PredictHandler handler = handler(2);

        APIGatewayProxyResponseEvent response = handler.handleRequest(
                EventLoader.loadApiGatewayRestEvent("events/predict-records.json"), ApiFixtures.context());

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(202);
        JsonNode body = body(response);
        String jobId = body.get("jobId").asText();
        assertThat(body.get("route").asText()).isEqualTo("batch");
        assertThat(body.get("output").asText()).isEqualTo("s3://" + bucket + "/scored/churn/" + jobId + "/");
        String staged = s3.getObjectAsBytes(b -> b.bucket(bucket).key("staging/" + jobId + "/records.jsonl"))
                .asUtf8String();
        assertThat(staged.lines()).hasSize(3);

        List<String> runIds = emr.listJobRuns(b -> b.applicationId(applicationId)).jobRuns().stream()
                .filter(r -> r.name().contains(jobId)).map(r -> r.id()).toList();
        assertThat(runIds).hasSize(1);
        JobRun run = emr.getJobRun(b -> b.applicationId(applicationId).jobRunId(runIds.get(0))).jobRun();
        assertThat(run.jobDriver().sparkSubmit().entryPoint()).isEqualTo("s3://" + bucket + "/artifacts/emr-jobs.jar");
        assertThat(run.jobDriver().sparkSubmit().entryPointArguments()).containsSequence(
                "--bundle", "s3://" + bucket + "/models/churn/1",
                "--input", "s3://" + bucket + "/staging/" + jobId + "/records.jsonl",
                "--format", "jsonl",
                "--output", "s3://" + bucket + "/scored/churn/" + jobId + "/runs/" + jobId + "/",
                "--job-id", jobId);
        assertThat(run.jobDriver().sparkSubmit().sparkSubmitParameters())
                .contains("--class dev.mlserve.jobs.score.BatchScoreJob");
        assertThat(run.configurationOverrides().monitoringConfiguration().s3MonitoringConfiguration().logUri())
                .isEqualTo("s3://" + bucket + "/logs/emr/");

        APIGatewayProxyRequestEvent getJob = EventLoader.loadApiGatewayRestEvent("events/get-job.json");
        getJob.setPathParameters(Map.of("jobId", jobId));
        getJob.setPath("/jobs/" + jobId);
        APIGatewayProxyResponseEvent status = handler.handleRequest(getJob, ApiFixtures.context());
        assertThat(status.getStatusCode()).as(status.getBody()).isEqualTo(200);
        assertThat(body(status).get("jobId").asText()).isEqualTo(jobId);
    }

    @Test
    void getModel_readsVersionsAndSchemaFromS3() {
        APIGatewayProxyResponseEvent response = handler(1000).handleRequest(
                EventLoader.loadApiGatewayRestEvent("events/get-model.json"), ApiFixtures.context());

        assertThat(response.getStatusCode()).as(response.getBody()).isEqualTo(200);
        assertThat(body(response).get("versions").toString()).isEqualTo("[\"1\",\"2\"]");
    }
}
