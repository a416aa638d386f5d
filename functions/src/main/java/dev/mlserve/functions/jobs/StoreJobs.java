package dev.mlserve.functions.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.BatchLauncher.JobState;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.ports.SubmitInProgressException;
import dev.mlserve.functions.results.ResultPublisher;
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
 * A run writes into its own run folder ({@code <result>/runs/<jobId>/}, its manifest last). When it
 * ends, {@link #runEnded} commits that manifest to the result folder with {@link ResultPublisher}
 * (the same protocol as inline uploads: a conditional write, never over a newer version's result),
 * or starts the next attempt of a run that failed without one, or, the attempts used up, commits a
 * FAILED manifest with the backend's reason: every job ends in a manifest. {@link #status} answers
 * the committed manifest once it names the job; a run found SUCCESS but not yet committed is
 * committed there and then (the backend's end event is delivered on a best-effort basis).
 */
public final class StoreJobs implements Jobs {
    private static final Logger LOG = LoggerFactory.getLogger(StoreJobs.class);
    public static final String JOBS_PREFIX = "jobs/";
    public static final String TOKEN_PREFIX = "jobs/by-token/";
    static final String STAGING_PREFIX = "staging/";
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
    private final ResultPublisher publisher;

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
        this.publisher = new ResultPublisher(store, clock);
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
                LOG.info("job already submitted for this client token: jobId={} existingJobId={}", job.jobId(),
                        marker.jobId());
                return settle(existing.get(), run, true);
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
        return record(jobId).map(job -> {
            try {
                return settle(job, job.job(), false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot commit the result of job " + jobId + ": " + e.getMessage(), e);
            }
        });
    }

    @Override
    public Optional<JobStatus> runEnded(String jobId) {
        Optional<JobRecord> record = record(jobId);
        if (record.isEmpty()) {
            LOG.warn("run ended for a job with no record, nothing to commit: jobId={}", jobId);
            return Optional.empty();
        }
        try {
            return Optional.of(settle(record.get(), record.get().job(), true));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit the result of job " + jobId + ": " + e.getMessage(), e);
        }
    }

    private Optional<JobRecord> record(String jobId) {
        if (jobId == null || !JOB_ID.matcher(jobId).matches() || jobId.contains("..")) {
            return Optional.empty();
        }
        try {
            return read(recordKey(jobId), JobRecord.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read job " + jobId + ": " + e.getMessage(), e);
        }
    }

    /**
     * The job's status after doing what its run's end calls for: nothing while it runs or once its
     * result is committed; else commit the run's own manifest; else (the run left none) start the
     * next attempt or commit a FAILED manifest. A status read ({@code restart} false) only commits:
     * it never starts a run.
     *
     * @param started what was started (null in records that predate keeping it: such a job is never restarted)
     */
    private JobStatus settle(JobRecord job, BatchJob started, boolean restart) throws IOException {
        Optional<JsonNode> committed = manifestOf(job);
        if (committed.isPresent() && job.jobId().equals(committed.get().path("jobId").asText(null))) {
            return statusOf(job, committed, null);
        }
        JobState state = launcher.state(job.runId());
        if (!state.terminal() || (!restart && !state.state().equals("SUCCESS"))) {
            return statusOf(job, committed, state);
        }
        Optional<String> result = resultPrefix(job);
        if (result.isEmpty()) {
            return statusOf(job, committed, state);
        }
        String run = result.get() + ResultPublisher.RUNS + job.jobId() + "/";
        Manifest own = publisher.existingManifest(run);
        ResultPublisher.Version version = version(started);
        if (own != null) {
            ResultPublisher.Commit commit = publisher.commitRun(result.get(), run, own, version, () -> isCurrent(started));
            LOG.info("batch run ended: jobId={} state={} manifest={} commit={}", job.jobId(), state.state(),
                    own.status(), commit);
            removeStaging(started);
            return statusOf(job, manifestOf(job), state);
        }
        String token = job.clientToken() == null ? job.jobId() : job.clientToken();
        boolean failed = state.state().equals("FAILED") || state.state().equals("CANCELLED");
        if (failed && started != null && attempt(token) < MAX_ATTEMPTS) {
            int next = attempt(token) + 1;
            LOG.warn("batch run ended {} without a result; starting attempt {}: jobId={} details={}", state.state(),
                    next, job.jobId(), state.details());
            return submit(started.withJobId(baseJobId(job.jobId(), token) + "-a" + next)
                    .withClientToken(baseToken(token) + ATTEMPT + next), job.model(), job.version(), job.routeReason());
        }
        String reason = failed
                ? "the batch job ended " + state.state() + " in each of its " + attempt(token) + " attempt(s)"
                        + (state.details() == null || state.details().isBlank() ? "" : "; the last: " + state.details())
                : "the batch run ended " + state.state() + " without writing its " + Manifest.FILE_NAME;
        Instant now = clock.instant();
        Manifest manifest = new Manifest(Manifest.FAILED, started == null ? job.input()
                : started.sourceUri() != null ? started.sourceUri() : started.inputUri(),
                started == null ? null : started.inputEtag(), started == null ? null : started.inputVersionId(),
                started == null ? null : started.format(), job.model(), job.version(), 0, 0, 0, "batch",
                job.routeReason(), job.jobId(), null, null, job.createdAt(), now.toString(),
                Math.max(0, now.toEpochMilli() - Instant.parse(job.createdAt()).toEpochMilli()), reason, null);
        ResultPublisher.Commit commit = publisher.publishFailure(result.get(), manifest, version,
                () -> isCurrent(started));
        LOG.warn("batch job ended without a result: jobId={} commit={} reason={}", job.jobId(), commit, reason);
        removeStaging(started);
        return statusOf(job, manifestOf(job), state);
    }

    /** The uploaded object's version a job scores; null when it scores no upload (an API batch request). */
    private static ResultPublisher.Version version(BatchJob started) {
        return started == null || started.inputEtag() == null ? null
                : new ResultPublisher.Version(started.inputEtag(), started.inputVersionId());
    }

    /** Whether the uploaded object still has the version the job scored (always, for jobs that score no upload). */
    private boolean isCurrent(BatchJob started) {
        if (started == null || started.inputEtag() == null) {
            return true;
        }
        Optional<String> key = keyOf(started.sourceUri() != null ? started.sourceUri() : started.inputUri());
        return key.isEmpty() || store.head(key.get()).map(ObjectStore.ObjectInfo::etag)
                .filter(started.inputEtag()::equals).isPresent();
    }

    /** The staging copy a job read (its folder under staging/), once no attempt needs it any more. */
    private void removeStaging(BatchJob started) {
        if (started == null) {
            return;
        }
        Optional<String> key = keyOf(started.inputUri()).filter(k -> k.startsWith(STAGING_PREFIX));
        if (key.isEmpty() || key.get().lastIndexOf('/') <= STAGING_PREFIX.length()) {
            return;
        }
        try {
            publisher.deleteFolder(key.get().substring(0, key.get().lastIndexOf('/') + 1));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot remove staging copy {} (the bucket's staging/ expiry removes it): {}", key.get(),
                    e.toString());
        }
    }

    private Optional<String> resultPrefix(JobRecord job) {
        Optional<String> key = keyOf(job.output());
        if (key.isEmpty()) {
            LOG.warn("job output is not in this store, nothing to commit: jobId={} output={}", job.jobId(),
                    job.output());
        }
        return key.map(k -> k.isEmpty() || k.endsWith("/") ? k : k + "/");
    }

    private Optional<String> keyOf(String uri) {
        String root = store.uri("");
        return uri != null && uri.startsWith(root) ? Optional.of(uri.substring(root.length())) : Optional.empty();
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
                job.outputUri(), routeReason, now(), token, job);
        store.put(recordKey(job.jobId()), json(record), JSON);
        LOG.info("job submitted: jobId={} runId={} backend={} model={} version={}", job.jobId(), runId, backend,
                model, version);
        return new JobStatus(job.jobId(), "SUBMITTED", model, version, job.outputUri(), routeReason, null, null,
                null, null);
    }

    /**
     * @param committed the result folder's manifest, if any
     * @param state the launcher's state, or null when the committed manifest is this job's
     */
    private JobStatus statusOf(JobRecord job, Optional<JsonNode> committed, JobState state) {
        if (committed.isPresent() && job.jobId().equals(committed.get().path("jobId").asText(null))) {
            JsonNode m = committed.get();
            boolean ok = Manifest.SUCCEEDED.equals(m.path("status").asText());
            return status(job, ok ? "SUCCESS" : "FAILED", m.path("rowsIn").asLong(), m.path("rowsScored").asLong(),
                    m.path("rowsRejected").asLong(), ok ? null : manifestError(m));
        }
        JobState s = state != null ? state : launcher.state(job.runId());
        if (s.state().equals("SUCCESS")) {
            String error = committed.isPresent()
                    ? "the results were replaced by job " + committed.get().path("jobId").asText("(unknown)")
                    : "the run ended without writing " + Manifest.FILE_NAME;
            return status(job, committed.isPresent() ? "SUCCESS" : "FAILED", null, null, null, error);
        }
        return status(job, s.state(), null, null, null, s.state().equals("FAILED") ? s.details() : null);
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
