package dev.mlserve.functions.api;

import static dev.mlserve.functions.api.ApiFixtures.REQUEST_ID;
import static dev.mlserve.functions.api.ApiFixtures.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.ThrottledException;
import dev.mlserve.functions.routing.RoutingPolicy;
import dev.mlserve.functions.telemetry.EmfMetrics;
import dev.mlserve.functions.telemetry.RequestTelemetry;
import dev.mlserve.functions.testing.InMemoryObjectStore;
import dev.mlserve.functions.testing.MutableClock;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * GET /jobs/{jobId} when reading the job fails: the caller gets a generic error with the request
 * id, never the fault's text (bucket, keys, SDK messages); a fault that passes answers 503 with
 * Retry-After, any other 500. No Spark: the job route never loads a model.
 */
class PredictHandlerJobFaultsTest {
    private static final String JOB_ID = "4d1f2c3b-0000-4000-8000-00000000abcd";
    private static final String BUCKET = "mlserve-123456789012-eu-west-1-data";
    private static final String KEY = "jobs/" + JOB_ID + ".json";
    private static final String INTERNAL = "cannot read job " + JOB_ID + ": s3://" + BUCKET + "/" + KEY;

    private final Jobs jobs = mock(Jobs.class);

    private APIGatewayProxyResponseEvent getJob() throws IOException {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
        ScorerCache models = new ScorerCache(new LocalBundleStore(Files.createTempDirectory("mlserve-no-bundles")),
                bundle -> {
                    throw new AssertionError("the job route loads no model");
                }, clock, Duration.ofSeconds(60), ScorerCache.DEFAULT_CAPACITY);
        PredictionService service = new PredictionService(models, new RoutingPolicy(1000, 1 << 20, 100_000, 6 << 20),
                new BatchSubmitter(new InMemoryObjectStore("bucket"), jobs, "models/", () -> "job-1"), jobs, null);
        PredictHandler handler = new PredictHandler(service, new RequestTelemetry(mock(Logger.class),
                new EmfMetrics(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), clock,
                        "mlserve")));
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/get-job.json");
        return handler.handleRequest(event, ApiFixtures.context());
    }

    private static void assertNoInternalText(APIGatewayProxyResponseEvent response) {
        assertThat(response.getBody()).doesNotContain(BUCKET).doesNotContain(KEY).doesNotContain("s3://")
                .doesNotContain("Exception").doesNotContain("dev.mlserve").doesNotContain("SlowDown")
                .doesNotContain("AccessDenied").doesNotContain("Request ID");
        assertThat(body(response).get("requestId").asText()).isEqualTo(REQUEST_ID);
        assertThat(body(response).get("details")).isEmpty();
    }

    private static S3Exception s3(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .message(code + ": " + INTERNAL + " (Service: S3, Status Code: " + status + ", Request ID: ABC123)")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(INTERNAL).build()).build();
    }

    @Test
    void unreadableRecord_answers500WithoutTheKeyOrTheIoMessage() throws IOException {
        when(jobs.status(JOB_ID)).thenThrow(new UncheckedIOException(INTERNAL,
                new IOException("Unexpected end-of-input in " + KEY)));

        APIGatewayProxyResponseEvent response = getJob();

        assertThat(response.getStatusCode()).isEqualTo(500);
        assertThat(response.getHeaders()).doesNotContainKey("Retry-After");
        assertNoInternalText(response);
        assertThat(body(response).get("error").asText())
                .isEqualTo("internal error; see the function log for request " + REQUEST_ID);
    }

    @Test
    void accessDeniedOnTheRecord_answers500_retryingDoesNotHelp() throws IOException {
        when(jobs.status(JOB_ID)).thenThrow(s3(403, "AccessDenied"));

        APIGatewayProxyResponseEvent response = getJob();

        assertThat(response.getStatusCode()).isEqualTo(500);
        assertNoInternalText(response);
    }

    @Test
    void throttledStore_answers503WithRetryAfterAndNoInternalText() throws IOException {
        when(jobs.status(JOB_ID)).thenThrow(s3(503, "SlowDown"));

        APIGatewayProxyResponseEvent response = getJob();

        assertThat(response.getStatusCode()).isEqualTo(503);
        assertThat(response.getHeaders()).containsEntry("Retry-After",
                Integer.toString(PredictHandler.UNAVAILABLE_RETRY_AFTER_SECONDS));
        assertNoInternalText(response);
        assertThat(body(response).get("error").asText()).isEqualTo("the service is temporarily unavailable; try again in "
                + PredictHandler.UNAVAILABLE_RETRY_AFTER_SECONDS + " seconds");
    }

    @Test
    void storeErrorWrappedByTheJobs_answers503_theCauseChainDecides() throws IOException {
        when(jobs.status(JOB_ID)).thenThrow(new UncheckedIOException(INTERNAL, new IOException(INTERNAL,
                s3(500, "InternalError"))));

        APIGatewayProxyResponseEvent response = getJob();

        assertThat(response.getStatusCode()).isEqualTo(503);
        assertNoInternalText(response);
    }

    @Test
    void unreachableStore_answers503() throws IOException {
        when(jobs.status(JOB_ID)).thenThrow(SdkClientException.create("Unable to execute HTTP request: " + BUCKET
                + ".s3.eu-west-1.amazonaws.com", new SocketTimeoutException("Read timed out")));

        APIGatewayProxyResponseEvent response = getJob();

        assertThat(response.getStatusCode()).isEqualTo(503);
        assertThat(response.getHeaders()).containsKey("Retry-After");
        assertNoInternalText(response);
    }

    @Test
    void throttledBatchBackend_answers503WithoutTheLaunchersMessage() throws IOException {
        when(jobs.status(JOB_ID)).thenThrow(new ThrottledException("GetJobRun was throttled by EMR Serverless 4 times"
                + " in a row (ThrottlingException) for s3://" + BUCKET + "/" + KEY, 30, null));

        APIGatewayProxyResponseEvent response = getJob();

        assertThat(response.getStatusCode()).isEqualTo(503);
        assertThat(response.getHeaders()).containsEntry("Retry-After", "30");
        assertNoInternalText(response);
        assertThat(response.getBody()).doesNotContain("GetJobRun");
    }
}
