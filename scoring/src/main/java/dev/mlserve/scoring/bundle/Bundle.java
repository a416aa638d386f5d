package dev.mlserve.scoring.bundle;

import java.nio.file.Path;

/**
 * A bundle available on local disk: its metadata and the folder Spark's {@code PipelineModel.load}
 * reads. Stores that keep bundles remotely (S3) hand out a local cached copy.
 *
 * @param directory the bundle folder ({@code <root>/<name>/<version>})
 */
public record Bundle(BundleMetadata metadata, Path directory) {
    public static final String METADATA_FILE = "bundle.json";
    public static final String PIPELINE_DIR = "pipeline";
    public static final String LATEST_FILE = "LATEST";
    /** Optional: sample input records, one JSON object a line (the fast path's load-time check). */
    public static final String SAMPLES_FILE = "samples.jsonl";

    public Path pipelineDirectory() {
        return directory.resolve(PIPELINE_DIR);
    }
}
