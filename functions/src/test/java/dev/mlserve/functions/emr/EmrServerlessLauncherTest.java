package dev.mlserve.functions.emr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.BatchLauncher.JobState;
import dev.mlserve.functions.ports.ThrottledException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.emrserverless.model.EmrServerlessException;
import software.amazon.awssdk.services.emrserverless.model.GetJobRunRequest;
import software.amazon.awssdk.services.emrserverless.model.GetJobRunResponse;
import software.amazon.awssdk.services.emrserverless.model.JobRun;
import software.amazon.awssdk.services.emrserverless.model.ResourceNotFoundException;
import software.amazon.awssdk.services.emrserverless.model.StartJobRunRequest;
import software.amazon.awssdk.services.emrserverless.model.StartJobRunResponse;
import software.amazon.awssdk.services.emrserverless.model.ValidationException;

class EmrServerlessLauncherTest {
    private static final EmrServerlessLauncher.Settings SETTINGS = new EmrServerlessLauncher.Settings("00abc123",
            "arn:aws:iam::123456789012:role/mlserve-job", "s3://bucket/jars/emr-jobs.jar", "s3://bucket/logs/", 90, 4,
            "14g");
    private static final BatchJob JOB = new BatchJob("job-1", "s3://bucket/models/churn/3",
            "s3://bucket/staging/job-1/records.jsonl", "jsonl", "s3://bucket/scored/churn/job-1", "etag-1", "token-1",
            Map.of("model", "churn", "version", "3", "route", "batch"), "1200 records > inline limit of 1000");

    private final EmrServerlessClient emr = mock(EmrServerlessClient.class);
    private final List<Duration> sleeps = new ArrayList<>();
    private final Backoff backoff = new Backoff(4, Duration.ofMillis(100), Duration.ofMillis(300), sleeps::add,
            () -> 1.0);

    private EmrServerlessLauncher launcher(EmrServerlessLauncher.Settings settings) {
        return new EmrServerlessLauncher(emr, settings, backoff);
    }

    private static EmrServerlessException throttled(int status, String code) {
        return (EmrServerlessException) EmrServerlessException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("slow down").build())
                .message("slow down").build();
    }

    private StartJobRunRequest sentRequest() {
        ArgumentCaptor<StartJobRunRequest> sent = ArgumentCaptor.forClass(StartJobRunRequest.class);
        verify(emr).startJobRun(sent.capture());
        return sent.getValue();
    }

    @Test
    void start_sendsEveryStartJobRunField_andAnswersTheJobRunId() {
        when(emr.startJobRun(any(StartJobRunRequest.class))).thenReturn(StartJobRunResponse.builder()
                .applicationId("00abc123").jobRunId("run-42").build());

        String runId = launcher(SETTINGS).start(JOB);

        assertThat(runId).isEqualTo("run-42");
        StartJobRunRequest r = sentRequest();
        assertThat(r.applicationId()).isEqualTo("00abc123");
        assertThat(r.executionRoleArn()).isEqualTo("arn:aws:iam::123456789012:role/mlserve-job");
        assertThat(r.name()).isEqualTo("mlserve-churn-job-1");
        assertThat(r.clientToken()).isEqualTo("token-1");
        assertThat(r.executionTimeoutMinutes()).isEqualTo(90L);
        assertThat(r.tags()).containsExactlyInAnyOrderEntriesOf(Map.of("model", "churn", "version", "3",
                "route", "batch", "mlserve:job-id", "job-1"));
        assertThat(r.jobDriver().sparkSubmit().entryPoint()).isEqualTo("s3://bucket/jars/emr-jobs.jar");
        assertThat(r.jobDriver().sparkSubmit().entryPointArguments()).containsExactly(
                "--bundle", "s3://bucket/models/churn/3",
                "--input", "s3://bucket/staging/job-1/records.jsonl",
                "--format", "jsonl",
                "--output", "s3://bucket/scored/churn/job-1/runs/job-1/",
                "--job-id", "job-1",
                "--input-etag", "etag-1",
                "--route-reason", "1200 records > inline limit of 1000");
        assertThat(r.jobDriver().sparkSubmit().sparkSubmitParameters()).isEqualTo(
                "--class dev.mlserve.jobs.score.BatchScoreJob --conf spark.executor.cores=4"
                        + " --conf spark.executor.memory=14g");
        assertThat(r.configurationOverrides().monitoringConfiguration().s3MonitoringConfiguration().logUri())
                .isEqualTo("s3://bucket/logs/");
    }

    @Test
    void start_withoutLogUriEtagOrReason_sendsNoMonitoringAndNoOptionalFlags() {
        when(emr.startJobRun(any(StartJobRunRequest.class))).thenReturn(StartJobRunResponse.builder()
                .jobRunId("run-1").build());
        EmrServerlessLauncher.Settings noLogs = new EmrServerlessLauncher.Settings("00abc123",
                SETTINGS.executionRoleArn(), SETTINGS.jobJarUri(), null, 90, 4, "14g");
        BatchJob bare = new BatchJob("job-2", "s3://b/models/m/1", "s3://b/in.csv", "csv", "s3://b/out", null, null,
                Map.of());

        launcher(noLogs).start(bare);

        StartJobRunRequest r = sentRequest();
        assertThat(r.configurationOverrides()).isNull();
        assertThat(r.jobDriver().sparkSubmit().entryPointArguments()).containsExactly("--bundle", "s3://b/models/m/1",
                "--input", "s3://b/in.csv", "--format", "csv", "--output", "s3://b/out/runs/job-2/", "--job-id", "job-2");
        assertThat(r.clientToken()).isEqualTo("job-2");
        assertThat(r.name()).isEqualTo("mlserve-job-job-2");
    }

    @Test
    void start_ofAnUploadsPinnedCopy_sendsItsRunFolderVersionIdAndSource() {
        when(emr.startJobRun(any(StartJobRunRequest.class))).thenReturn(StartJobRunResponse.builder()
                .jobRunId("run-1").build());
        BatchJob pinned = new BatchJob("upload-1", "s3://b/models/m/1", "s3://b/staging/upload-1/input.csv", "csv",
                "s3://b/scored/m/a.csv", "etag-1", "t", Map.of(), null, "v-7", "s3://b/incoming/m/a.csv");

        launcher(SETTINGS).start(pinned);

        assertThat(sentRequest().jobDriver().sparkSubmit().entryPointArguments()).containsExactly(
                "--bundle", "s3://b/models/m/1", "--input", "s3://b/staging/upload-1/input.csv", "--format", "csv",
                "--output", "s3://b/scored/m/a.csv/runs/upload-1/", "--job-id", "upload-1",
                "--input-etag", "etag-1", "--input-version-id", "v-7", "--source", "s3://b/incoming/m/a.csv");
    }

    @Test
    void start_withTokenOrTagsOutsideEmrSyntax_sendsAHashedTokenAndCleanedTags() {
        when(emr.startJobRun(any(StartJobRunRequest.class))).thenReturn(StartJobRunResponse.builder()
                .jobRunId("run-1").build());
        BatchJob job = new BatchJob("job-3", "b", "i", "csv", "o", null, "token with spaces and ünïcode",
                Map.of("reason", "a <= b"));

        launcher(SETTINGS).start(job);

        StartJobRunRequest r = sentRequest();
        assertThat(r.clientToken()).matches("[0-9a-f]{64}");
        assertThat(r.tags()).containsEntry("reason", "a _= b");
    }

    @Test
    void start_whenThrottledTwice_retriesWithGrowingBoundedBackoff_andAnswersTheRunId() {
        when(emr.startJobRun(any(StartJobRunRequest.class)))
                .thenThrow(throttled(400, "ThrottlingException"))
                .thenThrow(throttled(429, "TooManyRequestsException"))
                .thenReturn(StartJobRunResponse.builder().jobRunId("run-7").build());

        String runId = launcher(SETTINGS).start(JOB);

        assertThat(runId).isEqualTo("run-7");
        verify(emr, times(3)).startJobRun(any(StartJobRunRequest.class));
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void start_whenThrottledOnEveryAttempt_throwsThrottledExceptionWithRetryAfterAfterFourCalls() {
        when(emr.startJobRun(any(StartJobRunRequest.class))).thenThrow(throttled(400, "ThrottlingException"));

        assertThatThrownBy(() -> launcher(SETTINGS).start(JOB))
                .isInstanceOf(ThrottledException.class)
                .hasMessageContaining("StartJobRun")
                .hasMessageContaining("ThrottlingException")
                .satisfies(e -> assertThat(((ThrottledException) e).retryAfterSeconds()).isEqualTo(30));
        verify(emr, times(4)).startJobRun(any(StartJobRunRequest.class));
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300));
    }

    @Test
    void start_whenRequestIsInvalid_failsAtOnceWithoutRetry() {
        when(emr.startJobRun(any(StartJobRunRequest.class))).thenThrow(ValidationException.builder()
                .statusCode(400).message("bad role").build());

        assertThatThrownBy(() -> launcher(SETTINGS).start(JOB)).isInstanceOf(ValidationException.class);
        verify(emr, times(1)).startJobRun(any(StartJobRunRequest.class));
        assertThat(sleeps).isEmpty();
    }

    @ParameterizedTest(name = "EMR {0} -> {1}")
    @CsvSource({"SUBMITTED,SUBMITTED", "PENDING,PENDING", "SCHEDULED,SCHEDULED", "RUNNING,RUNNING",
        "SUCCESS,SUCCESS", "FAILED,FAILED", "CANCELLED,CANCELLED", "QUEUED,PENDING", "CANCELLING,RUNNING",
        "HIBERNATING,PENDING"})
    void state_mapsEachEmrStateOntoThePortsStates(String emrState, String expected) {
        when(emr.getJobRun(any(GetJobRunRequest.class))).thenReturn(GetJobRunResponse.builder()
                .jobRun(JobRun.builder().jobRunId("run-1").state(emrState).stateDetails("details").build()).build());

        JobState state = launcher(SETTINGS).state("run-1");

        assertThat(state.state()).isEqualTo(expected);
        assertThat(state.details()).contains("details");
        if (!expected.equals(emrState)) {
            assertThat(state.details()).contains(emrState);
        }
        ArgumentCaptor<GetJobRunRequest> sent = ArgumentCaptor.forClass(GetJobRunRequest.class);
        verify(emr).getJobRun(sent.capture());
        assertThat(sent.getValue().applicationId()).isEqualTo("00abc123");
        assertThat(sent.getValue().jobRunId()).isEqualTo("run-1");
    }

    @Test
    void state_whenRunIsUnknownToEmr_answersFailedNamingTheRun() {
        when(emr.getJobRun(any(GetJobRunRequest.class))).thenThrow(ResourceNotFoundException.builder()
                .statusCode(404).message("no such run").build());

        JobState state = launcher(SETTINGS).state("run-gone");

        assertThat(state.state()).isEqualTo("FAILED");
        assertThat(state.details()).contains("run-gone");
    }

    @Test
    void state_whenThrottledOnce_retriesAndAnswers() {
        when(emr.getJobRun(any(GetJobRunRequest.class)))
                .thenThrow(throttled(429, "TooManyRequestsException"))
                .thenReturn(GetJobRunResponse.builder().jobRun(JobRun.builder().state("RUNNING").build()).build());

        assertThat(launcher(SETTINGS).state("run-1").state()).isEqualTo("RUNNING");
        assertThat(sleeps).hasSize(1);
    }

    @Test
    void backoffDelay_isFullJitterUnderAnExponentialCeilingCappedAtTheMaximum() {
        Backoff half = new Backoff(10, Duration.ofMillis(250), Duration.ofSeconds(4), d -> { }, () -> 0.5);

        assertThat(half.delay(1)).isEqualTo(Duration.ofMillis(125));
        assertThat(half.delay(3)).isEqualTo(Duration.ofMillis(500));
        assertThat(half.delay(9)).isEqualTo(Duration.ofMillis(2000));
        assertThat(half.delay(40)).isEqualTo(Duration.ofMillis(2000));
    }
}
