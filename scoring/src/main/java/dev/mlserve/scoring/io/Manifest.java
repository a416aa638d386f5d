package dev.mlserve.scoring.io;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.mlserve.scoring.error.Violation;
import java.util.List;

/**
 * {@code _manifest.json}: written last, so a present manifest means the run finished. A run that
 * found the file itself unusable (no header, missing required column, ...) ends FAILED with the
 * reason ({@code details} lists at most {@link dev.mlserve.scoring.error.BadInputException#MAX_DETAILS}
 * problems, {@code detailsOmitted} counts the rest); a run that failed for a real fault leaves no
 * manifest and is retried.
 */
@JsonPropertyOrder({"status", "input", "inputEtag", "inputVersionId", "format", "model", "version", "rowsIn", "rowsScored",
    "rowsRejected", "route", "routeReason", "jobId", "output", "outputs", "startedAt", "finishedAt", "durationMs",
    "error", "details", "detailsOmitted"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(String status, String input, String inputEtag, String inputVersionId, String format, String model, String version,
                       long rowsIn, long rowsScored, long rowsRejected, String route, String routeReason, String jobId,
                       Output output, List<String> outputs, String startedAt, String finishedAt, long durationMs,
                       String error, List<Violation> details, Long detailsOmitted) {

    /** A manifest whose details, if any, are complete (no {@code detailsOmitted}). */
    public Manifest(String status, String input, String inputEtag, String inputVersionId, String format, String model,
                    String version, long rowsIn, long rowsScored, long rowsRejected, String route, String routeReason,
                    String jobId, Output output, List<String> outputs, String startedAt, String finishedAt,
                    long durationMs, String error, List<Violation> details) {
        this(status, input, inputEtag, inputVersionId, format, model, version, rowsIn, rowsScored, rowsRejected, route,
                routeReason, jobId, output, outputs, startedAt, finishedAt, durationMs, error, details, null);
    }

    public static final String FILE_NAME = "_manifest.json";
    public static final String SUCCEEDED = "SUCCEEDED";
    public static final String FAILED = "FAILED";

    /** Where the results are. */
    public record Output(String scored, String rejected) {
    }

    public boolean succeeded() {
        return SUCCEEDED.equals(status);
    }
}
