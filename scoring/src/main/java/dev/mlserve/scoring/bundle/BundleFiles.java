package dev.mlserve.scoring.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mlserve.scoring.error.BundleFormatException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Reading and writing the files of the bundle format, shared by every store. */
public final class BundleFiles {
    private static final ObjectMapper PRETTY = Json.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT);

    /** Numeric versions in numeric order, then the rest by name: "2" < "10" < "beta". */
    public static final Comparator<String> VERSION_ORDER = Comparator
            .comparing((String v) -> !v.chars().allMatch(Character::isDigit))
            .thenComparing((a, b) -> a.chars().allMatch(Character::isDigit) && b.chars().allMatch(Character::isDigit)
                    ? new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b))
                    : a.compareTo(b));

    private BundleFiles() {
    }

    public static BundleMetadata readMetadata(InputStream in, String where) {
        try {
            BundleMetadata metadata = Json.MAPPER.readValue(in, BundleMetadata.class);
            if (metadata == null) {
                throw new BundleFormatException(where + " is empty");
            }
            return metadata;
        } catch (IOException | IllegalArgumentException e) {
            throw new BundleFormatException(where + " is not a valid bundle.json: " + rootMessage(e), e);
        }
    }

    public static BundleMetadata readMetadata(Path bundleDir) {
        Path file = bundleDir.resolve(Bundle.METADATA_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelNotFoundException("no bundle at " + bundleDir + " (" + Bundle.METADATA_FILE + " missing)");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return readMetadata(in, file.toString());
        } catch (IOException e) {
            throw new BundleFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static byte[] toJson(BundleMetadata metadata) {
        try {
            return PRETTY.writeValueAsBytes(metadata);
        } catch (IOException e) {
            throw new IllegalStateException("bundle metadata is not serialisable", e);
        }
    }

    /** Writes bundle.json into an existing bundle folder (atomically: temp file, then move). */
    public static void writeMetadata(Path bundleDir, BundleMetadata metadata) throws IOException {
        writeAtomically(bundleDir.resolve(Bundle.METADATA_FILE), toJson(metadata));
    }

    /** Points {@code <root>/<name>/LATEST} at a version. */
    public static void writeLatest(Path root, String name, String version) throws IOException {
        Path modelDir = root.resolve(name);
        Files.createDirectories(modelDir);
        writeAtomically(modelDir.resolve(Bundle.LATEST_FILE), (version + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The version a LATEST file names; a value that is not a valid version is a broken bundle root. */
    public static Optional<String> parseLatest(String content, String where) {
        String v = content == null ? "" : content.strip();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (!BundleMetadata.NAME_PATTERN.matcher(v).matches() || v.contains("..")) {
            throw new BundleFormatException(where + " names '" + v + "', which is not a valid version");
        }
        return Optional.of(v);
    }

    /** The current version: LATEST when present, else the highest version listed. */
    public static String currentVersion(String name, Optional<String> latest, Collection<String> versions) {
        if (latest.isPresent()) {
            return latest.get();
        }
        List<String> sorted = new ArrayList<>(versions);
        if (sorted.isEmpty()) {
            throw new ModelNotFoundException("model '" + name + "' has no versions");
        }
        sorted.sort(VERSION_ORDER);
        return sorted.get(sorted.size() - 1);
    }

    /** Validates a model name or version before it becomes part of a path or key. */
    public static String requireSegment(String what, String value) {
        if (value == null || !BundleMetadata.NAME_PATTERN.matcher(value).matches() || value.contains("..")) {
            throw new ModelNotFoundException(what + " '" + value + "' is not a valid " + what
                    + " (letters, digits, '.', '_', '-'; at most 128)");
        }
        return value;
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    /**
     * Copies {@code from} and everything under it to {@code to} (file attributes kept); an existing
     * file at a destination is an error, never replaced.
     */
    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
