package dev.mlserve.functions.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobEventsHandlerTest {
    /** The applicationId of the events in src/test/resources/events/emr-job-run-*.json. */
    private static final String APPLICATION = "00fkq8cbd3rs9n0l";
    private static final String SUCCEEDED_RUN = "00fkqa1b2c3d4e5f";
    private static final String FAILED_RUN = "00fkqb7m2n4p6r8t";

    private final Jobs jobs = mock(Jobs.class);
    private final BatchLauncher launcher = mock(BatchLauncher.class);
    private final JobEventsHandler handler = new JobEventsHandler(jobs, launcher, APPLICATION);

    private static ScheduledEvent event(String file) {
        return EventLoader.loadScheduledEvent("events/" + file);
    }

    private static JobStatus status(String jobId, String state) {
        return new JobStatus(jobId, state, "churn", "3", "s3://bucket/scored/churn/" + jobId + "/", "records", null,
                null, null, null);
    }

    @Test
    void handle_successOfOurRun_commitsItsResult() {
        when(launcher.jobIdOf(SUCCEEDED_RUN)).thenReturn(Optional.of("job-42"));
        when(jobs.runEnded("job-42")).thenReturn(Optional.of(status("job-42", "SUCCESS")));

        String answer = handler.handleRequest(event("emr-job-run-success.json"), null);

        verify(jobs).runEnded("job-42");
        assertThat(answer).contains("\"jobId\":\"job-42\"").contains("\"state\":\"SUCCESS\"")
                .contains("\"runId\":\"" + SUCCEEDED_RUN + "\"");
    }

    @Test
    void handle_failureOfOurRun_handsTheEndToTheJob_andAnswersTheStateItLeaves() {
        when(launcher.jobIdOf(FAILED_RUN)).thenReturn(Optional.of("job-7"));
        when(jobs.runEnded("job-7")).thenReturn(Optional.of(status("job-7", "SUBMITTED")));

        String answer = handler.handleRequest(event("emr-job-run-failed.json"), null);

        verify(jobs).runEnded("job-7");
        assertThat(answer).contains("\"runState\":\"FAILED\"").contains("\"state\":\"SUBMITTED\"");
    }

    @Test
    void handle_runStillRunning_isIgnored() {
        String answer = handler.handleRequest(event("emr-job-run-running.json"), null);

        verify(jobs, never()).runEnded(any());
        verifyNoInteractions(launcher);
        assertThat(answer).contains("ignored").contains("RUNNING");
    }

    @Test
    void handle_cancellingRun_isIgnoredUntilItIsCancelled() {
        ScheduledEvent event = event("emr-job-run-success.json");
        event.setDetail(withDetail(event, "state", "CANCELLING"));

        String answer = handler.handleRequest(event, null);

        verifyNoInteractions(jobs, launcher);
        assertThat(answer).contains("CANCELLING is not terminal");
    }

    @Test
    void handle_runOfAnotherApplication_isIgnored() {
        String answer = new JobEventsHandler(jobs, launcher, "00fkzzzzzzzzzzzz")
                .handleRequest(event("emr-job-run-success.json"), null);

        verifyNoInteractions(jobs, launcher);
        assertThat(answer).contains("ignored").contains(APPLICATION);
    }

    @Test
    void handle_runThatIsNotOurs_isIgnored() {
        when(launcher.jobIdOf(SUCCEEDED_RUN)).thenReturn(Optional.empty());

        String answer = handler.handleRequest(event("emr-job-run-success.json"), null);

        verify(jobs, never()).runEnded(any());
        assertThat(answer).contains("ignored").contains("job-id tag");
    }

    @Test
    void handle_anotherKindOfEvent_isIgnored() {
        ScheduledEvent event = event("emr-job-run-success.json");
        event.setDetailType("EMR Serverless Application State Change");

        String answer = handler.handleRequest(event, null);

        verifyNoInteractions(jobs, launcher);
        assertThat(answer).contains("ignored").contains("Application State Change");
    }

    @Test
    void handle_ourRunWhoseJobHasNoRecord_isIgnored() {
        when(launcher.jobIdOf(SUCCEEDED_RUN)).thenReturn(Optional.of("job-gone"));
        when(jobs.runEnded("job-gone")).thenReturn(Optional.empty());

        String answer = handler.handleRequest(event("emr-job-run-success.json"), null);

        assertThat(answer).contains("ignored").contains("job-gone");
    }

    @Test
    void handle_whenTheCommitFails_rethrowsSoLambdaRetriesTheEvent() {
        when(launcher.jobIdOf(SUCCEEDED_RUN)).thenReturn(Optional.of("job-42"));
        when(jobs.runEnded("job-42")).thenThrow(new UncheckedIOException(new java.io.IOException("S3 unreachable")));

        assertThatThrownBy(() -> handler.handleRequest(event("emr-job-run-success.json"), null))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("S3 unreachable");
    }

    @Test
    void handle_whenEmrCannotBeAsked_rethrowsSoLambdaRetriesTheEvent() {
        when(launcher.jobIdOf(SUCCEEDED_RUN)).thenThrow(new IllegalStateException("GetJobRun failed"));

        assertThatThrownBy(() -> handler.handleRequest(event("emr-job-run-success.json"), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("GetJobRun failed");
        verifyNoInteractions(jobs);
    }

    @Test
    void wiring_localBackend_isRefusedWithTheReason() {
        FunctionConfig local = FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, FunctionConfig.LOCAL));

        assertThatThrownBy(() -> JobEventsHandler.awsAdapters(local))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("MLSERVE_BACKEND=aws")
                .hasMessageContaining("commits each run itself");
    }

    private static Map<String, Object> withDetail(ScheduledEvent event, String field, Object value) {
        Map<String, Object> detail = new HashMap<>(event.getDetail());
        detail.put(field, value);
        return detail;
    }
}
