package dev.mlserve.scoring.io;

/**
 * What the caller knows about a file-scoring run and the manifest records.
 *
 * @param route "inline" (inside the Lambda or CLI) or "batch" (EMR Serverless / local launcher)
 * @param routeReason why that route was taken
 * @param jobId the batch job id, or null inline
 * @param inputEtag the S3 ETag of the input object, or null for local files
 * @param inputVersionId the S3 versionId of the input object, or null (unversioned bucket, local file)
 * @param source the input as the manifest names it, when the run reads a copy of it (a batch job
 *     reads the uploaded version pinned in a staging copy); null: the path read
 */
public record RunInfo(String route, String routeReason, String jobId, String inputEtag, String inputVersionId,
                      String source) {
    public RunInfo(String route, String routeReason, String jobId, String inputEtag) {
        this(route, routeReason, jobId, inputEtag, null, null);
    }

    public static RunInfo inline(String reason) {
        return new RunInfo("inline", reason, null, null);
    }
}
