package dev.mlserve.scoring.bundle;

import dev.mlserve.scoring.error.BundleFormatException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Bundles in a local directory: the embedded default, and what the CLI reads. */
public final class LocalBundleStore implements BundleStore {
    private final Path root;

    public LocalBundleStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public Bundle fetch(String name, String version) {
        String v = version == null ? currentVersion(name) : BundleFiles.requireSegment("version", version);
        Path dir = root.resolve(BundleFiles.requireSegment("model", name)).resolve(v);
        if (!Files.isRegularFile(dir.resolve(Bundle.METADATA_FILE))) {
            throw new ModelNotFoundException("model '" + name + "' has no version '" + v + "'");
        }
        return open(dir);
    }

    @Override
    public String currentVersion(String name) {
        Path modelDir = root.resolve(BundleFiles.requireSegment("model", name));
        Path latest = modelDir.resolve(Bundle.LATEST_FILE);
        Optional<String> pinned = Optional.empty();
        if (Files.isRegularFile(latest)) {
            try {
                pinned = BundleFiles.parseLatest(Files.readString(latest), latest.toString());
            } catch (IOException e) {
                throw new BundleFormatException("cannot read " + latest, e);
            }
        }
        return BundleFiles.currentVersion(name, pinned, versions(name));
    }

    @Override
    public List<String> versions(String name) {
        Path modelDir = root.resolve(BundleFiles.requireSegment("model", name));
        if (!Files.isDirectory(modelDir)) {
            throw new ModelNotFoundException("unknown model '" + name + "'");
        }
        try (Stream<Path> children = Files.list(modelDir)) {
            return children
                    .filter(p -> Files.isRegularFile(p.resolve(Bundle.METADATA_FILE)))
                    .map(p -> p.getFileName().toString())
                    .sorted(BundleFiles.VERSION_ORDER)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens a bundle folder directly (the CLI's {@code --bundle DIR}). */
    public static Bundle open(Path bundleDir) {
        Path dir = bundleDir.toAbsolutePath().normalize();
        BundleMetadata metadata = BundleFiles.readMetadata(dir);
        if (!Files.isDirectory(dir.resolve(Bundle.PIPELINE_DIR))) {
            throw new BundleFormatException("bundle " + dir + " has no " + Bundle.PIPELINE_DIR + "/ folder");
        }
        return new Bundle(metadata, dir);
    }
}
