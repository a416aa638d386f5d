package dev.mlserve.functions.ports;

/**
 * Another submit with the same clientToken holds the job's start marker and has not recorded the
 * job yet (a concurrent delivery of the same event): nothing was started, try again shortly. A
 * {@link ThrottledException}, so callers that answer 503 to throttling answer it the same way.
 */
public final class SubmitInProgressException extends ThrottledException {
    /** The other submit needs a few seconds at most to record its job. */
    public static final int RETRY_AFTER_SECONDS = 5;

    private final String jobId;

    public SubmitInProgressException(String jobId, String message) {
        super(message, RETRY_AFTER_SECONDS, null);
        this.jobId = jobId;
    }

    /** The job id the other submit reserved. */
    public String jobId() {
        return jobId;
    }
}
