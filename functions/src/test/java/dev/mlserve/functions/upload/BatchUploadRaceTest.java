package dev.mlserve.functions.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.jobs.StoreJobs;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.functions.upload.UploadService.Action;
import dev.mlserve.functions.upload.UploadService.Outcome;
import dev.mlserve.functions.upload.UploadService.Upload;
import dev.mlserve.scoring.bundle.BundleStore;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch route of uploads end to end on the result protocol: the upload function pins the
 * event's version in a staging copy, the job writes into its own run folder, and its end commits
 * the result (the real {@link StoreJobs} and {@link UploadService} over a local store; the launcher
 * is a stand-in whose runs the test ends, in the order the race needs).
 */
class BatchUploadRaceTest {
    private static final String BUCKET = "mlserve-bucket";
    private static final String KEY = "incoming/churn/big.csv";
    private static final String RESULT = "scored/churn/big.csv/";

    @TempDir
    Path temp;
    private LocalObjectStore store;
    private ScriptedLauncher launcher;
    private StoreJobs jobs;
    private UploadService service;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @BeforeEach
    void setUp() {
        store = new LocalObjectStore(temp.resolve("bucket"));
        launcher = new ScriptedLauncher(store);
        jobs = new StoreJobs(store, launcher, "local");
        BundleStore bundles = mock(BundleStore.class);
        when(bundles.currentVersion("churn")).thenReturn("3");
        InlineScoring neverInline = (bundle, input, format, output, run) -> {
            throw new AssertionError("every object of these tests is over the inline limit");
        };
        service = new UploadService(store, bundles, neverInline, jobs,
                new UploadService.Settings(BUCKET, "models/", 10, temp.resolve("scratch")));
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    private Upload put(String content) throws Exception {
        store.put(KEY, content.getBytes(StandardCharsets.UTF_8), "text/csv");
        return new Upload(BUCKET, KEY, store.head(KEY).orElseThrow().etag(), (long) content.length());
    }

    private JsonNode manifest() throws Exception {
        return Json.MAPPER.readTree(Files.readAllBytes(store.path(RESULT + Manifest.FILE_NAME)));
    }

    private List<String> runFolders() throws Exception {
        return store.list(RESULT + "runs/").stream()
                .map(k -> k.substring(0, k.indexOf('/', (RESULT + "runs/").length()) + 1)).distinct().toList();
    }

    /** The scored rows the committed manifest points at. */
    private String committedParts() throws Exception {
        String scored = manifest().path("output").path("scored").asText();
        String prefix = scored.substring(store.uri("").length());
        StringBuilder out = new StringBuilder();
        for (String key : store.list(prefix)) {
            out.append(new String(store.open(key).readAllBytes(), StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    @Test
    void overwriteWhileABatchJobRuns_olderRunEndingLast_leavesTheNewerVersionsResultWithOneSetOfParts()
            throws Exception {
        Upload v1 = put("plan\nbasic-v1\nbasic-v1\n");
        String job1 = service.handle(v1).where();
        Upload v2 = put("plan\npremium-v2\n");
        String job2 = service.handle(v2).where();
        assertThat(job2).isNotEqualTo(job1);

        launcher.finish(job2);
        jobs.runEnded(job2);
        String readByJob1 = launcher.finish(job1);
        JobStatus late = jobs.runEnded(job1).orElseThrow();

        assertThat(readByJob1).as("the old job read the version its event named, not the overwrite")
                .isEqualTo("plan\nbasic-v1\nbasic-v1\n");
        assertThat(manifest().path("inputEtag").asText()).isEqualTo(v2.etag());
        assertThat(manifest().path("jobId").asText()).isEqualTo(job2);
        assertThat(manifest().path("input").asText()).isEqualTo(store.uri(KEY));
        assertThat(runFolders()).containsExactly(RESULT + "runs/" + job2 + "/");
        assertThat(committedParts()).isEqualTo("plan\npremium-v2\n");
        assertThat(late.state()).isEqualTo("SUCCESS");
        assertThat(late.error()).contains("replaced by job " + job2);
        assertThat(store.list("staging/")).isEmpty();
    }

    @Test
    void overwriteWhileABatchJobRuns_olderRunEndingFirst_commitsNothingThenTheNewerCommits() throws Exception {
        Upload v1 = put("plan\nbasic-v1\n");
        String job1 = service.handle(v1).where();
        Upload v2 = put("plan\npremium-v2\n");

        launcher.finish(job1);
        jobs.runEnded(job1);
        assertThat(store.head(RESULT + Manifest.FILE_NAME)).as("v1 was replaced before it ended").isEmpty();
        assertThat(runFolders()).isEmpty();
        String job2 = service.handle(v2).where();
        launcher.finish(job2);
        jobs.runEnded(job2);

        assertThat(manifest().path("inputEtag").asText()).isEqualTo(v2.etag());
        assertThat(runFolders()).containsExactly(RESULT + "runs/" + job2 + "/");
        assertThat(committedParts()).isEqualTo("plan\npremium-v2\n");
    }

    @Test
    void newVersionAfterTheOldOnesResultWasCommitted_replacesItWithIfMatchAndRemovesTheOldRun() throws Exception {
        String job1 = service.handle(put("plan\nbasic-v1\n")).where();
        launcher.finish(job1);
        jobs.runEnded(job1);
        assertThat(committedParts()).isEqualTo("plan\nbasic-v1\n");

        Upload v2 = put("plan\npremium-v2\n");
        String job2 = service.handle(v2).where();
        launcher.finish(job2);
        jobs.runEnded(job2);

        assertThat(manifest().path("inputEtag").asText()).isEqualTo(v2.etag());
        assertThat(runFolders()).containsExactly(RESULT + "runs/" + job2 + "/");
        assertThat(service.handle(v2).action()).isEqualTo(Action.ALREADY_DONE);
    }

    @Test
    void secondEventForTheSameVersionArrivingWhileTheFirstSubmits_startsOneJobAndGivesOneResult() throws Exception {
        Upload v1 = put("plan\nbasic\n");
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<Outcome>> events = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            events.add(pool.submit(() -> {
                together.await(10, TimeUnit.SECONDS);
                for (int attempt = 0; ; attempt++) {
                    try {
                        return service.handle(v1);
                    } catch (dev.mlserve.functions.ports.SubmitInProgressException e) {
                        // what Lambda's retry of the event does, shortly after
                        Thread.sleep(20);
                        if (attempt > 100) {
                            throw e;
                        }
                    }
                }
            }));
        }
        String job = events.get(0).get(30, TimeUnit.SECONDS).where();
        assertThat(events.get(1).get(30, TimeUnit.SECONDS).where()).isEqualTo(job);
        assertThat(launcher.started).hasSize(1);

        launcher.finish(job);
        CyclicBarrier ends = new CyclicBarrier(2);
        List<Future<Optional<JobStatus>>> commits = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            commits.add(pool.submit(() -> {
                ends.await(10, TimeUnit.SECONDS);
                return jobs.runEnded(job);
            }));
        }
        for (Future<Optional<JobStatus>> c : commits) {
            assertThat(c.get(30, TimeUnit.SECONDS).orElseThrow().state()).isEqualTo("SUCCESS");
        }

        assertThat(manifest().path("jobId").asText()).isEqualTo(job);
        assertThat(runFolders()).containsExactly(RESULT + "runs/" + job + "/");
        assertThat(service.handle(v1).action()).isEqualTo(Action.ALREADY_DONE);
        assertThat(launcher.started).hasSize(1);
    }

    @Test
    void failedJobRedelivered_startsTheNextAttemptAndItsResultIsCommitted() throws Exception {
        Upload v1 = put("plan\nbasic\n");
        String job = service.handle(v1).where();
        launcher.fail(job, "executor lost");

        Outcome again = service.handle(v1);

        assertThat(again.action()).isEqualTo(Action.BATCH_SUBMITTED);
        assertThat(launcher.started).containsExactly(job, job + "-a2");
        launcher.finish(job + "-a2");
        jobs.runEnded(job + "-a2");
        assertThat(manifest().path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest().path("jobId").asText()).isEqualTo(job + "-a2");
        assertThat(store.list("staging/")).isEmpty();
    }

    @Test
    void runFailingEveryAttempt_endsInAFailedManifestWithTheBackendsReason() throws Exception {
        Upload v1 = put("plan\nbasic\n");
        String job = service.handle(v1).where();
        for (String attempt : List.of(job, job + "-a2", job + "-a3")) {
            launcher.fail(attempt, "out of memory in " + attempt);
            jobs.runEnded(attempt);
        }

        assertThat(launcher.started).containsExactly(job, job + "-a2", job + "-a3");
        JsonNode m = manifest();
        assertThat(m.path("status").asText()).isEqualTo("FAILED");
        assertThat(m.path("inputEtag").asText()).isEqualTo(v1.etag());
        assertThat(m.path("input").asText()).isEqualTo(store.uri(KEY));
        assertThat(m.path("error").asText()).contains("FAILED in each of its 3 attempt(s)")
                .contains("out of memory in " + job + "-a3");
        assertThat(jobs.status(job + "-a3").orElseThrow().state()).isEqualTo("FAILED");
        assertThat(store.list("staging/")).isEmpty();
    }

    @Test
    void statusRead_ofARunThatSucceededButWhoseEndEventWasLost_commitsItsResult() throws Exception {
        String job = service.handle(put("plan\nbasic\n")).where();
        launcher.finish(job);

        JobStatus status = jobs.status(job).orElseThrow();

        assertThat(status.state()).isEqualTo("SUCCESS");
        assertThat(status.rowsIn()).isEqualTo(1);
        assertThat(manifest().path("jobId").asText()).isEqualTo(job);
    }

    /**
     * Runs that end when the test says: {@link #finish} writes what the batch job writes into the
     * run folder (parts holding the staged input's bytes, rejected.jsonl, its manifest last).
     */
    private static final class ScriptedLauncher implements BatchLauncher {
        private final LocalObjectStore store;
        final List<String> started = new CopyOnWriteArrayList<>();
        private final Map<String, BatchJob> runs = new ConcurrentHashMap<>();
        private final Map<String, JobState> states = new ConcurrentHashMap<>();

        ScriptedLauncher(LocalObjectStore store) {
            this.store = store;
        }

        @Override
        public String start(BatchJob job) {
            started.add(job.jobId());
            runs.put("run-" + job.jobId(), job);
            states.put("run-" + job.jobId(), new JobState("RUNNING", null));
            return "run-" + job.jobId();
        }

        @Override
        public JobState state(String runId) {
            return states.getOrDefault(runId, new JobState("FAILED", "unknown run"));
        }

        @Override
        public Optional<String> jobIdOf(String runId) {
            return Optional.ofNullable(runs.get(runId)).map(BatchJob::jobId);
        }

        /** @return the bytes the run read */
        String finish(String jobId) throws Exception {
            BatchJob job = runs.get("run-" + jobId);
            String root = store.uri("");
            String input = job.inputUri().substring(root.length());
            String read = new String(store.open(input).readAllBytes(), StandardCharsets.UTF_8);
            String run = job.runUri().substring(root.length());
            store.put(run + "scored/part-00000.csv", read.getBytes(StandardCharsets.UTF_8), "text/csv");
            store.put(run + "rejected.jsonl", new byte[0], "application/x-ndjson");
            long rows = read.lines().count() - 1;
            Manifest m = new Manifest(Manifest.SUCCEEDED, job.sourceUri(), job.inputEtag(), job.inputVersionId(),
                    job.format(), "churn", "3", rows, rows, 0, "batch", job.routeReason(), jobId,
                    new Manifest.Output(job.runUri() + "scored/", job.runUri() + "rejected.jsonl"), List.of("prediction"),
                    Instant.now().toString(), Instant.now().toString(), 1, null, null);
            store.put(run + Manifest.FILE_NAME, Json.MAPPER.writeValueAsBytes(m), "application/json");
            states.put("run-" + jobId, new JobState("SUCCESS", null));
            return read;
        }

        void fail(String jobId, String why) {
            states.put("run-" + jobId, new JobState("FAILED", why));
        }
    }
}
