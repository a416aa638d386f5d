package dev.mlserve.functions.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.BatchLauncher.JobState;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.ports.SubmitInProgressException;
import dev.mlserve.functions.ports.ThrottledException;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.json.Json;
import java.io.FileNotFoundException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentCaptor;

class StoreJobsTest {
    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    private static final Duration TAKEOVER = StoreJobs.DEFAULT_TAKEOVER_AFTER;

    @TempDir
    Path root;
    private LocalObjectStore store;
    private final BatchLauncher launcher = mock(BatchLauncher.class);
    private StoreJobs jobs;

    @BeforeEach
    void setUp() {
        store = new LocalObjectStore(root);
        jobs = jobsAt(NOW);
    }

    private StoreJobs jobsAt(Instant now) {
        return new StoreJobs(store, launcher, "local", Clock.fixed(now, ZoneOffset.UTC), TAKEOVER);
    }

    private BatchJob job(String jobId, String token) {
        return new BatchJob(jobId, store.uri("models/churn/1"), store.uri("staging/" + jobId + "/records.jsonl"),
                "jsonl", store.uri("scored/churn/" + jobId), null, token, Map.of("model", "churn"));
    }

    private JsonNode json(String key) throws Exception {
        return Json.MAPPER.readTree(Files.readAllBytes(store.path(key)));
    }

    private void writeManifest(String jobId, String status) throws Exception {
        store.put("scored/churn/" + jobId + "/_manifest.json", ("{\"status\":\"" + status + "\",\"jobId\":\"" + jobId
                + "\",\"rowsIn\":10,\"rowsScored\":8,\"rowsRejected\":2,\"error\":\"no header\"}")
                .getBytes(StandardCharsets.UTF_8), "application/json");
    }

    @Test
    void submit_firstTime_startsOneRunAndRecordsTheJob() throws Exception {
        when(launcher.start(any())).thenReturn("local-j1");

        JobStatus status = jobs.submit(job("j1", "token-1"), "churn", "1", "1200 records > 1000");

        assertThat(status).isEqualTo(new JobStatus("j1", "SUBMITTED", "churn", "1", store.uri("scored/churn/j1"),
                "1200 records > 1000", null, null, null, null));
        JsonNode record = json("jobs/j1.json");
        assertThat(record.path("jobId").asText()).isEqualTo("j1");
        assertThat(record.path("runId").asText()).isEqualTo("local-j1");
        assertThat(record.path("backend").asText()).isEqualTo("local");
        assertThat(record.path("model").asText()).isEqualTo("churn");
        assertThat(record.path("version").asText()).isEqualTo("1");
        assertThat(record.path("input").asText()).isEqualTo(store.uri("staging/j1/records.jsonl"));
        assertThat(record.path("output").asText()).isEqualTo(store.uri("scored/churn/j1"));
        assertThat(record.path("routeReason").asText()).isEqualTo("1200 records > 1000");
        assertThat(record.path("createdAt").asText()).isEqualTo(NOW.toString());
        assertThat(record.path("clientToken").asText()).isEqualTo("token-1");
        assertThat(store.list("jobs/by-token/")).containsExactly("jobs/by-token/" + Tokens.sha256Hex("token-1"));
    }

    @Test
    void submit_passesTheRouteReasonToTheLauncher() {
        when(launcher.start(any())).thenReturn("run");

        jobs.submit(job("j1", "token-1"), "churn", "1", "why batch");

        ArgumentCaptor<BatchJob> started = ArgumentCaptor.forClass(BatchJob.class);
        verify(launcher).start(started.capture());
        assertThat(started.getValue().routeReason()).isEqualTo("why batch");
        assertThat(started.getValue().clientToken()).isEqualTo("token-1");
    }

    @Test
    void submit_twiceWithTheSameToken_startsOneRunAndAnswersTheFirstJob() {
        when(launcher.start(any())).thenReturn("run-1");
        when(launcher.state("run-1")).thenReturn(new JobState("RUNNING", null));

        jobs.submit(job("first", "same-token"), "churn", "1", "r");
        JobStatus again = jobs.submit(job("second", "same-token"), "churn", "1", "r");

        verify(launcher, times(1)).start(any());
        assertThat(again.jobId()).isEqualTo("first");
        assertThat(again.state()).isEqualTo("RUNNING");
        assertThat(store.head("jobs/second.json")).isEmpty();
    }

    @Test
    void submit_sameTokenFromManyThreadsAtOnce_startsExactlyOneRun() throws Exception {
        when(launcher.start(any())).thenAnswer(call -> {
            Thread.sleep(50);
            return "run-1";
        });
        when(launcher.state("run-1")).thenReturn(new JobState("RUNNING", null));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<String>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String jobId = "j" + i;
                calls.add(() -> {
                    try {
                        return jobs.submit(job(jobId, "event-token"), "churn", "1", "r").jobId();
                    } catch (SubmitInProgressException e) {
                        return e.jobId();
                    }
                });
            }
            List<String> answered = new ArrayList<>();
            for (Future<String> f : pool.invokeAll(calls)) {
                answered.add(f.get());
            }
            verify(launcher, times(1)).start(any());
            assertThat(answered).hasSize(6).containsOnly(answered.get(0));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void submit_whileAnotherSubmitHoldsTheFreshMarker_throwsSubmitInProgressAndStartsNothing() throws Exception {
        String marker = "jobs/by-token/" + Tokens.sha256Hex("busy-token");
        store.put(marker, ("{\"jobId\":\"other\",\"state\":\"STARTING\",\"at\":\"" + NOW.minusSeconds(30) + "\"}")
                .getBytes(StandardCharsets.UTF_8), "application/json");

        assertThatThrownBy(() -> jobs.submit(job("mine", "busy-token"), "churn", "1", "r"))
                .isInstanceOf(SubmitInProgressException.class)
                .isInstanceOf(ThrottledException.class)
                .satisfies(e -> assertThat(((SubmitInProgressException) e).jobId()).isEqualTo("other"));
        verifyNoInteractions(launcher);
    }

    @Test
    void submit_whenTheMarkerIsOlderThanAnyLambdaRun_takesOverUnderTheMarkersJobId() throws Exception {
        String marker = "jobs/by-token/" + Tokens.sha256Hex("dead-token");
        Instant longAgo = NOW.minus(TAKEOVER).minusSeconds(1);
        store.put(marker, ("{\"jobId\":\"orphan\",\"state\":\"STARTING\",\"at\":\"" + longAgo + "\"}")
                .getBytes(StandardCharsets.UTF_8), "application/json");
        when(launcher.start(any())).thenReturn("run-9");

        JobStatus status = jobs.submit(job("mine", "dead-token"), "churn", "1", "r");

        ArgumentCaptor<BatchJob> started = ArgumentCaptor.forClass(BatchJob.class);
        verify(launcher).start(started.capture());
        assertThat(started.getValue().jobId()).isEqualTo("orphan");
        assertThat(started.getValue().clientToken()).isEqualTo("dead-token");
        assertThat(status.jobId()).isEqualTo("orphan");
        assertThat(json("jobs/orphan.json").path("runId").asText()).isEqualTo("run-9");
    }

    @Test
    void submit_markerLeftStartingByADeadSubmit_isBusyAtS3sFirstRetryAndTakenOverAtItsSecond() throws Exception {
        String marker = "jobs/by-token/" + Tokens.sha256Hex("stuck-token");
        store.put(marker, ("{\"jobId\":\"stuck\",\"state\":\"STARTING\",\"at\":\"" + NOW + "\"}")
                .getBytes(StandardCharsets.UTF_8), "application/json");
        when(launcher.start(any())).thenReturn("run-7");

        assertThatThrownBy(() -> jobsAt(NOW.plusSeconds(60)).submit(job("mine", "stuck-token"), "churn", "1", "r"))
                .isInstanceOf(SubmitInProgressException.class);
        JobStatus second = jobsAt(NOW.plusSeconds(180)).submit(job("mine", "stuck-token"), "churn", "1", "r");

        assertThat(second.jobId()).isEqualTo("stuck");
        assertThat(second.state()).isEqualTo("SUBMITTED");
        verify(launcher, times(1)).start(any());
        assertThat(json("jobs/stuck.json").path("runId").asText()).isEqualTo("run-7");
    }

    @Test
    void submit_whenTheTokensJobEndedFailedWithoutAResult_startsANewAttemptWithANewClientToken() throws Exception {
        when(launcher.start(any())).thenReturn("run-1", "run-2");
        jobs.submit(job("j1", "redo-token"), "churn", "1", "r");
        when(launcher.state("run-1")).thenReturn(new JobState("FAILED", "executor lost"));
        when(launcher.state("run-2")).thenReturn(new JobState("RUNNING", null));

        JobStatus redone = jobs.submit(job("j1", "redo-token"), "churn", "1", "r");
        JobStatus again = jobs.submit(job("j1", "redo-token"), "churn", "1", "r");

        ArgumentCaptor<BatchJob> started = ArgumentCaptor.forClass(BatchJob.class);
        verify(launcher, times(2)).start(started.capture());
        assertThat(started.getAllValues().get(1).jobId()).isEqualTo("j1-a2");
        assertThat(started.getAllValues().get(1).clientToken()).isEqualTo("redo-token#attempt=2");
        assertThat(redone.jobId()).isEqualTo("j1-a2");
        assertThat(again.jobId()).as("a running attempt is answered, not started again").isEqualTo("j1-a2");
        assertThat(again.state()).isEqualTo("RUNNING");
    }

    @Test
    void submit_whenTheJobsManifestSaysItRefusedTheInput_doesNotStartItAgain() throws Exception {
        when(launcher.start(any())).thenReturn("run-1");
        jobs.submit(job("j1", "refused-token"), "churn", "1", "r");
        writeManifest("j1", "FAILED");

        JobStatus status = jobs.submit(job("j1", "refused-token"), "churn", "1", "r");

        assertThat(status.state()).isEqualTo("FAILED");
        verify(launcher, times(1)).start(any());
    }

    @Test
    void submit_afterEveryAttemptWasCancelled_answersTheLastAttemptInsteadOfStartingMore() {
        when(launcher.start(any())).thenReturn("run-1", "run-2", "run-3", "run-4");
        when(launcher.state(any())).thenReturn(new JobState("CANCELLED", null));

        for (int i = 0; i < 5; i++) {
            jobs.submit(job("j1", "cancel-token"), "churn", "1", "r");
        }

        verify(launcher, times(StoreJobs.MAX_ATTEMPTS)).start(any());
        assertThat(jobs.submit(job("j1", "cancel-token"), "churn", "1", "r").jobId()).isEqualTo("j1-a3");
    }

    @Test
    void submit_whenTheLaunchIsThrottled_rethrowsAndTheNextSubmitStartsTheRun() {
        when(launcher.start(any()))
                .thenThrow(new ThrottledException("slow down", 4, null))
                .thenReturn("run-2");

        assertThatThrownBy(() -> jobs.submit(job("j1", "retry-token"), "churn", "1", "r"))
                .isInstanceOf(ThrottledException.class);
        assertThat(store.head("jobs/j1.json")).isEmpty();
        JobStatus retried = jobs.submit(job("j1", "retry-token"), "churn", "1", "r");

        assertThat(retried.state()).isEqualTo("SUBMITTED");
        assertThat(retried.jobId()).isEqualTo("j1");
        verify(launcher, times(2)).start(any());
    }

    @Test
    void submit_withAJobIdThatIsAPathTrick_isRefusedBeforeAnythingIsWritten() throws Exception {
        assertThatThrownBy(() -> jobs.submit(job("../../etc", "t"), "churn", "1", "r"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.list("")).isEmpty();
        verifyNoInteractions(launcher);
    }

    @Test
    void status_ofAnUnknownOrInvalidJobId_isEmpty() {
        assertThat(jobs.status("never-submitted")).isEmpty();
        assertThat(jobs.status("../jobs/x")).isEmpty();
        assertThat(jobs.status("")).isEmpty();
        assertThat(jobs.status(null)).isEmpty();
    }

    @Test
    void status_onAStoreThatSignalsAbsenceWithFileNotFound_isEmpty() throws Exception {
        ObjectStore plain = mock(ObjectStore.class);
        when(plain.open(any())).thenThrow(new FileNotFoundException("jobs/j1.json"));

        assertThat(new StoreJobs(plain, launcher, "local").status("j1")).isEmpty();
    }

    @Test
    void status_whileTheRunIsRunning_answersTheLaunchersStateWithoutCounts() {
        when(launcher.start(any())).thenReturn("run-1");
        when(launcher.state("run-1")).thenReturn(new JobState("RUNNING", null));
        jobs.submit(job("j1", "t"), "churn", "1", "r");

        assertThat(jobs.status("j1")).contains(new JobStatus("j1", "RUNNING", "churn", "1",
                store.uri("scored/churn/j1"), "r", null, null, null, null));
    }

    @Test
    void status_whenTheJobsManifestSaysSucceeded_answersSuccessWithItsCounts() throws Exception {
        when(launcher.start(any())).thenReturn("run-1");
        jobs.submit(job("j1", "t"), "churn", "1", "r");
        writeManifest("j1", "SUCCEEDED");

        JobStatus status = jobs.status("j1").orElseThrow();

        assertThat(status.state()).isEqualTo("SUCCESS");
        assertThat(status.rowsIn()).isEqualTo(10);
        assertThat(status.rowsScored()).isEqualTo(8);
        assertThat(status.rowsRejected()).isEqualTo(2);
        assertThat(status.error()).isNull();
        verify(launcher, never()).state(any());
    }

    @Test
    void status_whenTheJobsManifestSaysFailed_answersFailedWithTheReason() throws Exception {
        when(launcher.start(any())).thenReturn("run-1");
        jobs.submit(job("j1", "t"), "churn", "1", "r");
        writeManifest("j1", "FAILED");

        JobStatus status = jobs.status("j1").orElseThrow();

        assertThat(status.state()).isEqualTo("FAILED");
        assertThat(status.error()).isEqualTo("no header");
    }

    @Test
    void status_whenTheRunSucceededButWroteNoManifest_answersFailedSayingSo() {
        when(launcher.start(any())).thenReturn("run-1");
        when(launcher.state("run-1")).thenReturn(new JobState("SUCCESS", null));
        jobs.submit(job("j1", "t"), "churn", "1", "r");

        JobStatus status = jobs.status("j1").orElseThrow();

        assertThat(status.state()).isEqualTo("FAILED");
        assertThat(status.error()).contains("_manifest.json");
    }

    @Test
    void status_whenTheRunFailed_answersFailedWithTheLaunchersDetails() {
        when(launcher.start(any())).thenReturn("run-1");
        when(launcher.state("run-1")).thenReturn(new JobState("FAILED", "driver exited with 1"));
        jobs.submit(job("j1", "t"), "churn", "1", "r");

        assertThat(jobs.status("j1")).map(JobStatus::error).contains("driver exited with 1");
    }
}
