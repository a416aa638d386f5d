package dev.mlserve.local.invoke;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.jobs.StoreJobs;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After an invocation on the local backend: waits for the batch jobs its answer started. The
 * local launcher runs them on a daemon thread of this JVM (the stand-in for EMR Serverless), so
 * without waiting they would die with the process. A job is done when {@code GET /jobs/{id}}
 * would say so: its manifest is written, or the in-process worker is idle without one (FAILED).
 */
final class LocalJobWait {
    private static final Logger LOG = LoggerFactory.getLogger(LocalJobWait.class);
    /** The thread name of LocalBatchLauncher's single worker. */
    static final String WORKER_THREAD = "mlserve-local-batch";

    private final Jobs jobs;
    private final Duration timeout;

    LocalJobWait(Path store, Duration timeout) {
        this.jobs = new StoreJobs(new LocalObjectStore(store), new WorkerView(), "local");
        this.timeout = timeout;
    }

    /** The job ids an answer names: a 202's {@code jobId}, an upload outcome {@code BATCH_SUBMITTED}'s job. */
    static List<String> jobIds(byte[] answer) {
        List<String> ids = new ArrayList<>();
        try {
            JsonNode node = Json.MAPPER.readTree(answer);
            if (node != null && node.isTextual()) {
                node = Json.MAPPER.readTree(node.asText());
            }
            if (node == null) {
                return ids;
            }
            if (node.path("statusCode").asInt() == 202 && node.path("body").isTextual()) {
                String id = Json.MAPPER.readTree(node.path("body").asText()).path("jobId").asText(null);
                if (id != null) {
                    ids.add(id);
                }
            }
            for (JsonNode outcome : node.path("outcomes")) {
                if ("BATCH_SUBMITTED".equals(outcome.path("action").asText())) {
                    ids.add(outcome.path("where").asText());
                }
            }
        } catch (IOException e) {
            LOG.debug("answer is not JSON; no jobs to wait for: {}", e.toString());
        }
        return ids;
    }

    /** @return the job's final status, or empty when it did not end within the timeout */
    Optional<Jobs.JobStatus> await(String jobId) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Jobs.JobStatus> status = jobs.status(jobId);
            if (status.isPresent() && new BatchLauncher.JobState(status.get().state(), null).terminal()) {
                Jobs.JobStatus s = status.get();
                LOG.info("local batch job ended: jobId={} state={} rowsIn={} rowsScored={} rowsRejected={} output={}"
                                + " waitedMs={}{}", jobId, s.state(), s.rowsIn(), s.rowsScored(), s.rowsRejected(),
                        s.output(), (System.nanoTime() - started) / 1_000_000,
                        s.error() == null ? "" : " error=" + s.error());
                return status;
            }
            Thread.sleep(250);
        }
        LOG.warn("local batch job {} did not end within {} s; it stops with this process", jobId,
                timeout.toSeconds());
        return Optional.empty();
    }

    /** The launcher as seen from outside: RUNNING while its worker thread is busy, FAILED once idle. */
    private static final class WorkerView implements BatchLauncher {
        @Override
        public String start(BatchJob job) {
            throw new UnsupportedOperationException("a view only");
        }

        @Override
        public JobState state(String runId) {
            return workerBusy() ? new JobState("RUNNING", null)
                    : new JobState("FAILED", "the local run ended without writing its manifest (see the log above)");
        }

        @Override
        public Optional<String> jobIdOf(String runId) {
            return Optional.empty();
        }

        /** Busy unless the worker is parked waiting for its next task (or gone). */
        private static boolean workerBusy() {
            return Thread.getAllStackTraces().entrySet().stream()
                    .filter(e -> e.getKey().getName().equals(WORKER_THREAD) && e.getKey().isAlive())
                    .anyMatch(e -> Arrays.stream(e.getValue())
                            .noneMatch(frame -> frame.getMethodName().equals("getTask")));
        }
    }
}
