package dev.mlserve.functions.ports;

import dev.mlserve.functions.results.ResultPublisher;
import java.util.Map;
import java.util.Optional;

/**
 * Port: runs the batch scoring job. Adapters: EMR Serverless (StartJobRun/GetJobRun via SDK v2),
 * and an in-process local Spark run of the same file scoring (the embedded default).
 */
public interface BatchLauncher {

    /**
     * Starts (or, for a repeated clientToken, finds) a batch run.
     *
     * @return the backend's run id (EMR jobRunId, or the local run's id)
     * @throws ThrottledException when the backend keeps refusing for rate or capacity reasons
     */
    String start(BatchJob job);

    /** The run's state: SUBMITTED, PENDING, SCHEDULED, RUNNING, SUCCESS, FAILED, CANCELLED. */
    JobState state(String runId);

    /** Our job id of a backend run (from the run's job-id tag); empty when the run is not one of ours. */
    Optional<String> jobIdOf(String runId);

    /**
     * What to run: the same arguments the emr-jobs batch job takes.
     *
     * @param jobId our job id (stable across backends; names staging/ and jobs/ objects)
     * @param bundleUri the bundle version folder (s3://bucket/models/churn/3 or a local URI)
     * @param inputUri a file or prefix of part files: what the run reads
     * @param format csv, jsonl or parquet
     * @param outputUri the result folder: the run writes into {@link #runUri()} under it, and its
     *     result is committed to the folder's {@code _manifest.json} when the run ends
     * @param inputEtag the input object's ETag, recorded in the manifest (null when unknown)
     * @param clientToken idempotency token (deterministic for S3 events: bucket+key+ETag)
     * @param tags extra tags for the run (model, version, route)
     * @param routeReason why the batch route was taken, recorded in the manifest (null when unknown)
     * @param inputVersionId the input object's versionId, recorded in the manifest (null when unknown)
     * @param sourceUri the uploaded object the manifest names when {@code inputUri} is a staging copy
     *     of one of its versions; null when the run reads its input where it is
     */
    record BatchJob(String jobId, String bundleUri, String inputUri, String format, String outputUri,
                    String inputEtag, String clientToken, Map<String, String> tags, String routeReason,
                    String inputVersionId, String sourceUri) {

        public BatchJob {
            tags = tags == null ? Map.of() : Map.copyOf(tags);
        }

        public BatchJob(String jobId, String bundleUri, String inputUri, String format, String outputUri,
                        String inputEtag, String clientToken, Map<String, String> tags, String routeReason) {
            this(jobId, bundleUri, inputUri, format, outputUri, inputEtag, clientToken, tags, routeReason, null, null);
        }

        /** Without a route reason (Jobs.submit adds the one it is given). */
        public BatchJob(String jobId, String bundleUri, String inputUri, String format, String outputUri,
                        String inputEtag, String clientToken, Map<String, String> tags) {
            this(jobId, bundleUri, inputUri, format, outputUri, inputEtag, clientToken, tags, null);
        }

        /** The run's own folder, {@code <outputUri>/runs/<jobId>/}: one per run (attempts have their own job ids). */
        public String runUri() {
            String root = outputUri.endsWith("/") ? outputUri.substring(0, outputUri.length() - 1) : outputUri;
            return root + "/" + ResultPublisher.RUNS + jobId + "/";
        }

        public BatchJob withRouteReason(String reason) {
            return new BatchJob(jobId, bundleUri, inputUri, format, outputUri, inputEtag, clientToken, tags, reason,
                    inputVersionId, sourceUri);
        }

        public BatchJob withClientToken(String token) {
            return new BatchJob(jobId, bundleUri, inputUri, format, outputUri, inputEtag, token, tags, routeReason,
                    inputVersionId, sourceUri);
        }

        public BatchJob withJobId(String id) {
            return new BatchJob(id, bundleUri, inputUri, format, outputUri, inputEtag, clientToken, tags, routeReason,
                    inputVersionId, sourceUri);
        }
    }

    record JobState(String state, String details) {
        public boolean terminal() {
            return state.equals("SUCCESS") || state.equals("FAILED") || state.equals("CANCELLED");
        }
    }
}
