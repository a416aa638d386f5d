package dev.mlserve.functions.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.jobs.Tokens;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.routing.RouteDecision;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The batch route of a prediction request: stages the validated records as JSON Lines under
 * {@code staging/<jobId>/records.jsonl} and submits a job that scores them into
 * {@code scored/<model>/<jobId>/}.
 *
 * <p>With an {@value #IDEMPOTENCY_HEADER} header the job id and clientToken derive from the model,
 * the version and the key, so a client that retries a request (its 202 got lost) is answered with
 * the same job and starts nothing new; the staged records are written only if absent, and a retry
 * whose records differ from the staged ones is refused (422) instead of replacing them under a
 * running job. Without the header every request is a new job.
 */
public final class BatchSubmitter {
    public static final String FORMAT = "jsonl";
    public static final String RECORDS_FILE = "records.jsonl";
    public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final ObjectStore store;
    private final Jobs jobs;
    private final String modelPrefix;
    private final Supplier<String> jobIds;

    /**
     * @param modelPrefix the bundles' key prefix in the store ("models/")
     * @param jobIds new job ids; each must be a valid key segment (a UUID by default)
     */
    public BatchSubmitter(ObjectStore store, Jobs jobs, String modelPrefix, Supplier<String> jobIds) {
        this.store = Objects.requireNonNull(store, "store");
        this.jobs = Objects.requireNonNull(jobs, "jobs");
        this.modelPrefix = Objects.requireNonNull(modelPrefix, "modelPrefix");
        this.jobIds = Objects.requireNonNull(jobIds, "jobIds");
    }

    public BatchSubmitter(ObjectStore store, Jobs jobs, String modelPrefix) {
        this(store, jobs, modelPrefix, () -> UUID.randomUUID().toString());
    }

    /**
     * @param records validated records (field name to typed value), as staged
     * @throws dev.mlserve.functions.ports.ThrottledException when the batch backend is throttling
     */
    public JobStatus submit(String model, String version, List<Map<String, Object>> records, RouteDecision decision) {
        return submit(model, version, records, decision, null);
    }

    /**
     * @param idempotencyKey the request's {@value #IDEMPOTENCY_HEADER}, or null
     * @throws BadInputException when the key is not 1-128 letters, digits, '.', '_', ':' or '-'
     * @throws IdempotencyConflictException when the key was used for other records of this version
     */
    public JobStatus submit(String model, String version, List<Map<String, Object>> records, RouteDecision decision,
                            String idempotencyKey) {
        String token = null;
        String jobId;
        if (idempotencyKey == null) {
            jobId = jobIds.get();
        } else {
            if (!IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
                throw new BadInputException("invalid " + IDEMPOTENCY_HEADER + " header", List.of(new Violation(-1,
                        IDEMPOTENCY_HEADER, "must be 1 to 128 letters, digits, '.', '_', ':' or '-'")));
            }
            token = "api:" + Tokens.sha256Hex(model + "\n" + version + "\n" + idempotencyKey);
            jobId = "api-" + token.substring("api:".length(), "api:".length() + 32);
        }
        String stagingKey = "staging/" + jobId + "/" + RECORDS_FILE;
        byte[] staged = jsonLines(records);
        try {
            if (token == null) {
                store.put(stagingKey, staged, "application/x-ndjson");
            } else {
                stageOnce(stagingKey, staged);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the records of job " + jobId + " at " + store.uri(stagingKey), e);
        }
        BatchJob job = new BatchJob(jobId,
                store.uri(modelPrefix + model + "/" + version),
                store.uri(stagingKey),
                FORMAT,
                store.uri("scored/" + model + "/" + jobId + "/"),
                null,
                token == null ? jobId : token,
                Map.of("model", model, "version", version, "route", decision.route().wireName(), "source", "api"));
        return jobs.submit(job, model, version, decision.reason());
    }

    /** Writes the records of a keyed request unless a request with the key staged them; those must be the same. */
    private void stageOnce(String key, byte[] staged) throws IOException {
        if (store.putIfAbsent(key, staged, "application/x-ndjson")) {
            return;
        }
        Optional<ObjectStore.Stored> existing = store.read(key);
        if (existing.isEmpty()) {
            // the staged copy expired since; the job it fed (if any) is answered by the clientToken
            store.putIfAbsent(key, staged, "application/x-ndjson");
            return;
        }
        if (!Arrays.equals(existing.get().bytes(), staged)) {
            throw new IdempotencyConflictException(IDEMPOTENCY_HEADER + " was already used for other records of"
                    + " this model version; use a new key for a new request");
        }
    }

    static byte[] jsonLines(List<Map<String, Object>> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(records.size() * 128);
        try {
            for (Map<String, Object> record : records) {
                out.write(Json.MAPPER.writeValueAsBytes(record));
                out.write('\n');
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("validated records are not serialisable", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
