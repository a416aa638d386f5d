package dev.mlserve.scoring.bundle;

import dev.mlserve.scoring.error.BundleFormatException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Bundles under a root read through Hadoop's FileSystem: what Spark jobs use, so {@code s3://} goes
 * through EMRFS on EMR and never through the AWS SDK. Same rules as {@link LocalBundleStore}: the
 * current version is the one {@code LATEST} names, else the highest version that has a bundle.json.
 */
public final class HadoopBundleStore {
    private final Configuration conf;
    private final Path root;

    /** @param root {@code s3://bucket/models}, {@code file:/...} or a plain path (the default FileSystem) */
    public HadoopBundleStore(Configuration conf, String root) {
        this.conf = conf;
        this.root = new Path(root);
    }

    /**
     * @param version a version, or null for the current one
     * @throws ModelNotFoundException when the model or version does not exist
     */
    public HadoopBundle fetch(String name, String version) {
        String v = version == null ? currentVersion(name) : BundleFiles.requireSegment("version", version);
        Path dir = new Path(modelDir(name), v);
        if (!exists(new Path(dir, Bundle.METADATA_FILE))) {
            throw new ModelNotFoundException("model '" + name + "' has no version '" + v + "' under " + root);
        }
        return open(conf, dir.toString());
    }

    public String currentVersion(String name) {
        Path latest = new Path(modelDir(name), Bundle.LATEST_FILE);
        Optional<String> pinned = exists(latest)
                ? BundleFiles.parseLatest(readText(latest), latest.toString())
                : Optional.empty();
        return pinned.isPresent() ? pinned.get() : BundleFiles.currentVersion(name, Optional.empty(), versions(name));
    }

    /** All versions that have a bundle.json, oldest first. */
    public List<String> versions(String name) {
        Path modelDir = modelDir(name);
        FileStatus[] children;
        try {
            children = modelDir.getFileSystem(conf).listStatus(modelDir);
        } catch (FileNotFoundException e) {
            throw new ModelNotFoundException("unknown model '" + name + "' under " + root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + modelDir, e);
        }
        List<String> versions = new ArrayList<>();
        for (FileStatus child : children) {
            String v = child.getPath().getName();
            if (child.isDirectory() && BundleMetadata.NAME_PATTERN.matcher(v).matches() && !v.contains("..")
                    && exists(new Path(child.getPath(), Bundle.METADATA_FILE))) {
                versions.add(v);
            }
        }
        versions.sort(BundleFiles.VERSION_ORDER);
        return versions;
    }

    /** Opens one bundle version folder directly ({@code --bundle s3://bucket/models/churn/3}). */
    public static HadoopBundle open(Configuration conf, String bundleUri) {
        Path dir = new Path(bundleUri);
        try {
            FileSystem fs = dir.getFileSystem(conf);
            Path qualified = fs.makeQualified(dir);
            Path metadataFile = new Path(qualified, Bundle.METADATA_FILE);
            BundleMetadata metadata;
            try (InputStream in = fs.open(metadataFile)) {
                metadata = BundleFiles.readMetadata(in, metadataFile.toString());
            } catch (FileNotFoundException e) {
                throw new ModelNotFoundException("no bundle at " + qualified + " (" + Bundle.METADATA_FILE + " missing)");
            }
            if (!fs.exists(new Path(qualified, Bundle.PIPELINE_DIR))) {
                throw new BundleFormatException("bundle " + qualified + " has no " + Bundle.PIPELINE_DIR + "/ folder");
            }
            return new HadoopBundle(metadata, qualified.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundle " + bundleUri, e);
        }
    }

    private Path modelDir(String name) {
        return new Path(root, BundleFiles.requireSegment("model", name));
    }

    private boolean exists(Path path) {
        try {
            return path.getFileSystem(conf).exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    private String readText(Path path) {
        try (InputStream in = path.getFileSystem(conf).open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BundleFormatException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
