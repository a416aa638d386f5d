package dev.mlserve.functions.ports;

/**
 * Another submit with the same clientToken holds the job's start marker and has not recorded the
 * job yet (a concurrent delivery of the same event): nothing was started, try again shortly. A
 * {@link ThrottledException}, so callers that answer 503 to throttling answer it the same way.
 */
public final class SubmitInProgressException extends ThrottledException {
    private final String jobId;

    public SubmitInProgressException(String jobId, String message) {
        super(message, 1, null);
        this.jobId = jobId;
    }

    /** The job id the other submit reserved. */
    public String jobId() {
        return jobId;
    }
}
