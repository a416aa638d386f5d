package dev.mlserve.scoring.bundle;

/**
 * A bundle read in place through Hadoop's FileSystem ({@code s3://} is EMRFS on EMR, {@code file:},
 * {@code hdfs:}): nothing is copied to local disk, Spark loads the pipeline from its URI.
 *
 * @param uri the bundle version folder, fully qualified ({@code s3://bucket/models/churn/3})
 */
public record HadoopBundle(BundleMetadata metadata, String uri) {

    /** The folder {@code PipelineModel.load} reads. */
    public String pipelineUri() {
        return uri + "/" + Bundle.PIPELINE_DIR;
    }
}
