package dev.mlserve.functions.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.BatchLauncher.JobState;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.ports.SubmitInProgressException;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.json.Json;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs recorded in the object store: {@code jobs/<jobId>.json} per job and, per clientToken, a
 * marker {@code jobs/by-token/<sha256(clientToken)>} written with a conditional put BEFORE the
 * run is started. Only the submit that creates the marker starts a run, so a token starts at most
 * one run even where the backend does not de-duplicate StartJobRun by clientToken (moto); the real
 * EMR service de-duplicates as well, which covers the recovery paths below.
 *
 * <ul>
 *   <li>marker and record exist: the existing job is answered, nothing is started;</li>
 *   <li>marker without record, younger than {@code takeoverAfter}: another submit is starting the
 *       run right now: {@link SubmitInProgressException} (retry shortly);</li>
 *   <li>marker without record, older than that, or marked START_FAILED: the earlier submit died
 *       or its start failed: this one starts the run under the marker's job id, with the same
 *       clientToken.</li>
 * </ul>
 *
 * {@link #status} answers the run's result from its {@code _manifest.json} once present (it is
 * written last and names the job id), else the launcher's state.
 */
public final class StoreJobs implements Jobs {
    private static final Logger LOG = LoggerFactory.getLogger(StoreJobs.class);
    public static final String JOBS_PREFIX = "jobs/";
    public static final String TOKEN_PREFIX = "jobs/by-token/";
    /**
     * Longer than a submit can take (each EMR call is bounded by the client's apiCallTimeout, and the
     * throttling backoff by its attempts: about 95 s at most), shorter than S3's second retry of an
     * event (about 3 minutes after the first delivery): a marker this old without a record belongs to
     * a submit that died, and the next delivery takes it over.
     */
    public static final Duration DEFAULT_TAKEOVER_AFTER = Duration.ofMinutes(2);
    /** Runs started for one clientToken: the first and, after FAILED or CANCELLED runs, this many more. */
    static final int MAX_ATTEMPTS = 3;
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String JSON = "application/json";

    private final ObjectStore store;
    private final BatchLauncher launcher;
    private final String backend;
    private final Clock clock;
    private final Duration takeoverAfter;

    /** @param backend recorded in each job ("emr-serverless" or "local") */
    public StoreJobs(ObjectStore store, BatchLauncher launcher, String backend) {
        this(store, launcher, backend, Clock.systemUTC(), DEFAULT_TAKEOVER_AFTER);
    }

    StoreJobs(ObjectStore store, BatchLauncher launcher, String backend, Clock clock, Duration takeoverAfter) {
        this.store = Objects.requireNonNull(store, "store");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.clock = clock;
        this.takeoverAfter = takeoverAfter;
    }

    /** The record and marker state of a clientToken: {"jobId", "state", "at"}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Marker(String jobId, String state, String at) {
        static final String STARTING = "STARTING";
        static final String START_FAILED = "START_FAILED";
    }

    @Override
    public JobStatus submit(BatchJob job, String model, String version, String routeReason) {
        requireJobId(job.jobId());
        String token = job.clientToken() == null || job.clientToken().isBlank() ? job.jobId() : job.clientToken();
        BatchJob run = job.routeReason() == null ? job.withRouteReason(routeReason) : job;
        String markerKey = TOKEN_PREFIX + Tokens.sha256Hex(token);
        try {
            if (store.putIfAbsent(markerKey, json(new Marker(job.jobId(), Marker.STARTING, now())), JSON)) {
                return start(run, markerKey, token, model, version, routeReason);
            }
            Marker marker = read(markerKey, Marker.class)
                    .orElseThrow(() -> new IllegalStateException("marker " + markerKey + " vanished"));
            Optional<JobRecord> existing = read(recordKey(marker.jobId()), JobRecord.class);
            if (existing.isPresent()) {
                JobStatus status = statusOf(existing.get());
                if (attempt(token) < MAX_ATTEMPTS && endedWithoutResult(existing.get())) {
                    LOG.warn("job for this client token ended {} without a result; starting it again: jobId={}",
                            status.state(), marker.jobId());
                    int next = attempt(token) + 1;
                    return submit(run.withJobId(baseJobId(marker.jobId(), token) + "-a" + next)
                            .withClientToken(baseToken(token) + ATTEMPT + next), model, version, routeReason);
                }
                LOG.info("job already submitted for this client token: jobId={} existingJobId={}", job.jobId(),
                        marker.jobId());
                return status;
            }
            boolean stale = Instant.parse(marker.at()).plus(takeoverAfter).isBefore(clock.instant());
            if (!Marker.START_FAILED.equals(marker.state()) && !stale) {
                throw new SubmitInProgressException(marker.jobId(), "job " + marker.jobId()
                        + " for this client token is being started by another request; try again shortly");
            }
            LOG.warn("taking over an unfinished submit: jobId={} markerState={} markerAt={}", marker.jobId(),
                    marker.state(), marker.at());
            store.put(markerKey, json(new Marker(marker.jobId(), Marker.STARTING, now())), JSON);
            return start(run.withJobId(marker.jobId()), markerKey, token, model, version, routeReason);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record job " + job.jobId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A run that ended FAILED or CANCELLED without a manifest of its own (the backend failed it, or
     * someone cancelled it) is started again when its event comes again; a run that wrote a FAILED
     * manifest refused its input, and the same input would be refused again.
     */
    private boolean endedWithoutResult(JobRecord job) {
        Optional<JsonNode> manifest = manifestOf(job);
        if (manifest.isPresent() && job.jobId().equals(manifest.get().path("jobId").asText(null))) {
            return false;
        }
        String state = launcher.state(job.runId()).state();
        return state.equals("FAILED") || state.equals("CANCELLED");
    }

    /** Attempts after the first carry their number in the clientToken: {@code <token>#attempt=2}. */
    private static final String ATTEMPT = "#attempt=";

    private static int attempt(String token) {
        int at = token.lastIndexOf(ATTEMPT);
        return at < 0 ? 1 : Integer.parseInt(token.substring(at + ATTEMPT.length()));
    }

    private static String baseToken(String token) {
        int at = token.lastIndexOf(ATTEMPT);
        return at < 0 ? token : token.substring(0, at);
    }

    private static String baseJobId(String jobId, String token) {
        String suffix = "-a" + attempt(token);
        return attempt(token) > 1 && jobId.endsWith(suffix) ? jobId.substring(0, jobId.length() - suffix.length())
                : jobId;
    }

    @Override
    public Optional<JobStatus> status(String jobId) {
        if (jobId == null || !JOB_ID.matcher(jobId).matches() || jobId.contains("..")) {
            return Optional.empty();
        }
        try {
            return read(recordKey(jobId), JobRecord.class).map(this::statusOf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read job " + jobId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<JobStatus> runEnded(String jobId) {
        return status(jobId);
    }

    private JobStatus start(BatchJob job, String markerKey, String token, String model, String version,
                            String routeReason) throws IOException {
        String runId;
        try {
            runId = launcher.start(job);
        } catch (RuntimeException e) {
            try {
                store.put(markerKey, json(new Marker(job.jobId(), Marker.START_FAILED, now())), JSON);
            } catch (IOException | RuntimeException markerFailure) {
                e.addSuppressed(markerFailure);
            }
            throw e;
        }
        JobRecord record = new JobRecord(job.jobId(), runId, backend, model, version, job.inputUri(),
                job.outputUri(), routeReason, now(), token);
        store.put(recordKey(job.jobId()), json(record), JSON);
        LOG.info("job submitted: jobId={} runId={} backend={} model={} version={}", job.jobId(), runId, backend,
                model, version);
        return new JobStatus(job.jobId(), "SUBMITTED", model, version, job.outputUri(), routeReason, null, null,
                null, null);
    }

    private JobStatus statusOf(JobRecord job) {
        Optional<JsonNode> manifest = manifestOf(job);
        if (manifest.isPresent() && job.jobId().equals(manifest.get().path("jobId").asText(null))) {
            JsonNode m = manifest.get();
            boolean ok = Manifest.SUCCEEDED.equals(m.path("status").asText());
            return status(job, ok ? "SUCCESS" : "FAILED", m.path("rowsIn").asLong(), m.path("rowsScored").asLong(),
                    m.path("rowsRejected").asLong(), ok ? null : manifestError(m));
        }
        JobState state = launcher.state(job.runId());
        if (state.state().equals("SUCCESS")) {
            String error = manifest.isPresent()
                    ? "the results were replaced by job " + manifest.get().path("jobId").asText("(unknown)")
                    : "the run ended without writing " + Manifest.FILE_NAME;
            return status(job, manifest.isPresent() ? "SUCCESS" : "FAILED", null, null, null, error);
        }
        return status(job, state.state(), null, null, null, state.state().equals("FAILED") ? state.details() : null);
    }

    /** The manifest's error and, when it lists them, each field's problem. */
    private static String manifestError(JsonNode manifest) {
        StringBuilder error = new StringBuilder(manifest.path("error").asText("the input could not be scored"));
        List<String> details = new ArrayList<>();
        for (JsonNode d : manifest.path("details")) {
            String field = d.path("field").asText(null);
            details.add(field == null ? d.path("reason").asText() : field + ": " + d.path("reason").asText());
        }
        if (!details.isEmpty()) {
            error.append(" (").append(String.join("; ", details)).append(')');
        }
        return error.toString();
    }

    private static JobStatus status(JobRecord job, String state, Long in, Long scored, Long rejected, String error) {
        return new JobStatus(job.jobId(), state, job.model(), job.version(), job.output(), job.routeReason(), in,
                scored, rejected, error);
    }

    /** The output URI back to a key of this store; empty when the output lives elsewhere. */
    private Optional<JsonNode> manifestOf(JobRecord job) {
        String root = store.uri("");
        String output = job.output();
        if (output == null || !output.startsWith(root)) {
            LOG.warn("job output is not in this store: jobId={} output={}", job.jobId(), output);
            return Optional.empty();
        }
        String prefix = output.substring(root.length());
        String key = (prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/") + Manifest.FILE_NAME;
        try {
            return read(key, JsonNode.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    private <T> Optional<T> read(String key, Class<T> type) throws IOException {
        try (InputStream in = store.open(key)) {
            return Optional.of(Json.MAPPER.readValue(in, type));
        } catch (NoSuchFileException | FileNotFoundException e) {
            return Optional.empty();
        }
    }

    private static String recordKey(String jobId) {
        return JOBS_PREFIX + jobId + ".json";
    }

    private static void requireJobId(String jobId) {
        if (jobId == null || !JOB_ID.matcher(jobId).matches() || jobId.contains("..")) {
            throw new IllegalArgumentException("job id '" + jobId + "' is not valid (letters, digits, '.', '_', '-')");
        }
    }

    private String now() {
        return clock.instant().toString();
    }

    private static byte[] json(Object value) {
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("not serialisable: " + value, e);
        }
    }
}
