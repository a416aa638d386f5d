package dev.mlserve.functions.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.routing.RouteDecision;
import dev.mlserve.scoring.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The batch route of a prediction request: stages the validated records as JSON Lines under
 * {@code staging/<jobId>/records.jsonl} and submits a job that scores them into
 * {@code scored/<model>/<jobId>/}.
 */
public final class BatchSubmitter {
    public static final String FORMAT = "jsonl";
    public static final String RECORDS_FILE = "records.jsonl";

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
        String jobId = jobIds.get();
        String stagingKey = "staging/" + jobId + "/" + RECORDS_FILE;
        try {
            store.put(stagingKey, jsonLines(records), "application/x-ndjson");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the records of job " + jobId + " at " + store.uri(stagingKey), e);
        }
        BatchJob job = new BatchJob(jobId,
                store.uri(modelPrefix + model + "/" + version),
                store.uri(stagingKey),
                FORMAT,
                store.uri("scored/" + model + "/" + jobId + "/"),
                null,
                jobId,
                Map.of("model", model, "version", version, "route", decision.route().wireName(), "source", "api"));
        return jobs.submit(job, model, version, decision.reason());
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
