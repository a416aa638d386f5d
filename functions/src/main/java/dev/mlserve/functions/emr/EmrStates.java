package dev.mlserve.functions.emr;

import dev.mlserve.functions.ports.BatchLauncher.JobState;
import software.amazon.awssdk.services.emrserverless.model.JobRunState;

/**
 * EMR Serverless job run states (SDK enum {@link JobRunState}) onto the port's seven states.
 *
 * <pre>
 * SUBMITTED, PENDING, SCHEDULED, RUNNING, SUCCESS, FAILED, CANCELLED   the same name
 * QUEUED       PENDING   waiting for the application's concurrency limit; not started
 * CANCELLING   RUNNING   still running until EMR stops it; CANCELLED follows
 * unknown      PENDING   a state newer than this SDK: not terminal, so callers keep polling
 * </pre>
 *
 * The EMR state name is kept in the details whenever it differs from the port's.
 */
final class EmrStates {
    private EmrStates() {
    }

    static JobState map(JobRunState state, String rawState, String stateDetails) {
        String details = stateDetails == null || stateDetails.isBlank() ? null : stateDetails;
        if (state == null) {
            return new JobState("PENDING", join("EMR state '" + rawState + "' is not known to this SDK", details));
        }
        return switch (state) {
            case SUBMITTED, PENDING, SCHEDULED, RUNNING, SUCCESS, FAILED, CANCELLED ->
                    new JobState(state.name(), details);
            case QUEUED -> new JobState("PENDING", join("EMR state QUEUED", details));
            case CANCELLING -> new JobState("RUNNING", join("EMR state CANCELLING", details));
            default -> new JobState("PENDING", join("EMR state '" + rawState + "' is not known to this SDK", details));
        };
    }

    private static String join(String a, String b) {
        return b == null ? a : a + ": " + b;
    }
}
