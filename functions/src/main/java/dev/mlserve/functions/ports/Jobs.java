package dev.mlserve.functions.ports;

import java.util.Optional;

/**
 * Batch jobs as the API and the upload handler see them: submit a run and record it under
 * {@code jobs/<jobId>.json} in the object store; report its state and, when done, the manifest's
 * counts. Our job id is stable across backends (EMR's jobRunId is kept inside the record).
 */
public interface Jobs {

    /**
     * Records and starts a batch run. Idempotent per {@code job.clientToken()}: a repeated token
     * answers the existing job and starts nothing.
     */
    JobStatus submit(BatchLauncher.BatchJob job, String model, String version, String routeReason);

    /** Empty when no job has that id. */
    Optional<JobStatus> status(String jobId);

    /**
     * A run of the job has ended (the backend's state-change event, the local launcher's own
     * notice, or a later read that finds it ended): commits its result to the result folder, starts
     * the next attempt of a run that failed without one, or, once the attempts are used up, commits
     * a FAILED manifest saying why. Safe to call any number of times, at the same moment too.
     *
     * @return the job's status afterwards; empty when no job has that id
     */
    Optional<JobStatus> runEnded(String jobId);

    /**
     * @param state SUBMITTED, PENDING, SCHEDULED, RUNNING, SUCCESS, FAILED or CANCELLED
     * @param output the result folder URI
     * @param rowsIn counts from the manifest once SUCCESS (null before)
     */
    record JobStatus(String jobId, String state, String model, String version, String output, String routeReason,
                     Long rowsIn, Long rowsScored, Long rowsRejected, String error) {
    }
}
