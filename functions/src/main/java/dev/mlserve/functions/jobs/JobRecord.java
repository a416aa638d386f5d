package dev.mlserve.functions.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.mlserve.functions.ports.BatchLauncher;

/**
 * {@code jobs/<jobId>.json}: what was started, where, and where its results go.
 *
 * @param runId the backend's run id (EMR jobRunId or the local run's id)
 * @param backend "emr-serverless" or "local"
 * @param input the input URI; output the result folder URI
 * @param job what was started, kept so a run that failed without a result can be started again
 *     as its next attempt (null in records written before it was kept)
 */
@JsonPropertyOrder({"jobId", "runId", "backend", "model", "version", "input", "output", "routeReason",
    "createdAt", "clientToken", "job"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobRecord(String jobId, String runId, String backend, String model, String version, String input,
                        String output, String routeReason, String createdAt, String clientToken,
                        BatchLauncher.BatchJob job) {
}
