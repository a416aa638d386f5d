package dev.mlserve.scoring.io;

/**
 * What the caller knows about a file-scoring run and the manifest records.
 *
 * @param route "inline" (inside the Lambda or CLI) or "batch" (EMR Serverless / local launcher)
 * @param routeReason why that route was taken
 * @param jobId the batch job id, or null inline
 * @param inputEtag the S3 ETag of the input object, or null for local files
 */
public record RunInfo(String route, String routeReason, String jobId, String inputEtag) {
    public static RunInfo inline(String reason) {
        return new RunInfo("inline", reason, null, null);
    }
}
