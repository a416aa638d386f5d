package dev.mlserve.scoring.bundle;

import dev.mlserve.scoring.error.ModelNotFoundException;
import java.util.List;

/**
 * Port: where bundles live. {@code <root>/<name>/<version>/bundle.json + pipeline/}, and
 * optionally {@code <root>/<name>/LATEST} naming the current version.
 */
public interface BundleStore {

    /**
     * A bundle on local disk, ready for {@code PipelineModel.load}.
     *
     * @param version a version, or null for the current one (LATEST, else the highest version)
     * @throws ModelNotFoundException when the model or version does not exist
     */
    Bundle fetch(String name, String version);

    /** The version {@code fetch(name, null)} would give, without downloading the bundle. */
    String currentVersion(String name);

    /** All versions of a model, oldest first (numeric versions in numeric order). */
    List<String> versions(String name);
}
