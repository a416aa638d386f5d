package dev.mlserve.functions.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * {@code jobs/<jobId>.json}: what was started, where, and where its results go.
 *
 * @param runId the backend's run id (EMR jobRunId or the local run's id)
 * @param backend "emr-serverless" or "local"
 * @param input the input URI; output the result folder URI
 */
@JsonPropertyOrder({"jobId", "runId", "backend", "model", "version", "input", "output", "routeReason",
    "createdAt", "clientToken"})
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobRecord(String jobId, String runId, String backend, String model, String version, String input,
                        String output, String routeReason, String createdAt, String clientToken) {
}
