package dev.mlserve.scoring.bundle;

import dev.mlserve.scoring.error.BundleFormatException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Bundles under an S3 prefix, read with the SDK v2 client into a local cache (never s3a).
 *
 * <p>A fetch lists the version's objects and keys the cache on name, version and every object's
 * ETag: {@code <cacheDir>/<name>/<version>/<key>/}. A present folder is complete (it is only ever
 * moved into place whole) and is served without a download; otherwise all objects are downloaded
 * into a temporary sibling, validated, moved into place atomically, and older keys of the same
 * version are removed. Two fetches at once each download, one move wins, both answer the winner.
 * Behaves like {@link LocalBundleStore}: same exceptions, same version order.
 */
public final class S3BundleStore implements BundleStore {
    private static final Logger LOG = LoggerFactory.getLogger(S3BundleStore.class);
    private static final String TEMP_PREFIX = ".tmp-";
    /** Temporary folders this old belong to a fetch that died (a process crash): removed. */
    private static final Duration STALE_TEMP = Duration.ofHours(1);
    /**
     * Bundle versions kept in the cache, across models: the least recently fetched go beyond it
     * (more than the scorers a container keeps loaded, so a loaded or about-to-load bundle stays), so
     * a sweep over many versions cannot fill the function's /tmp.
     */
    static final int MAX_CACHED_VERSIONS = 8;
    /** A bundle rewritten while being downloaded is listed and downloaded again this often. */
    private static final int ATTEMPTS = 3;

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final Path cacheDir;

    /**
     * @param prefix the key prefix bundles live under, e.g. {@code "models/"}, or {@code ""}
     * @param cacheDir the local cache root, e.g. {@code /tmp/mlserve-cache}; created when needed
     */
    public S3BundleStore(S3Client s3, String bucket, String prefix, Path cacheDir) {
        this.s3 = Objects.requireNonNull(s3, "s3");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("bucket is blank");
        }
        this.bucket = bucket;
        this.prefix = normalizePrefix(prefix);
        this.cacheDir = cacheDir.toAbsolutePath().normalize();
    }

    @Override
    public Bundle fetch(String name, String version) {
        BundleFiles.requireSegment("model", name);
        String v = version == null ? currentVersion(name) : BundleFiles.requireSegment("version", version);
        for (int attempt = 1; ; attempt++) {
            try {
                return fetchVersion(name, v);
            } catch (BundleChangedException e) {
                if (attempt == ATTEMPTS) {
                    throw new IllegalStateException(location(versionKey(name, v)) + " kept changing while being"
                            + " downloaded (" + ATTEMPTS + " attempts): " + e.getMessage(), e);
                }
                LOG.info("bundle changed during download, listing again: model={} version={} reason={}",
                        name, v, e.getMessage());
            }
        }
    }

    @Override
    public String currentVersion(String name) {
        String latestKey = modelKey(name) + Bundle.LATEST_FILE;
        Optional<String> pinned = readLatest(latestKey);
        if (pinned.isPresent()) {
            return pinned.get();
        }
        return BundleFiles.currentVersion(name, Optional.empty(), versions(name));
    }

    @Override
    public List<String> versions(String name) {
        String modelKey = modelKey(name);
        List<String> candidates = new ArrayList<>();
        boolean modelExists = false;
        String token = null;
        do {
            ListObjectsV2Response page = s3.listObjectsV2(ListObjectsV2Request.builder()
                    .bucket(bucket).prefix(modelKey).delimiter("/").continuationToken(token).build());
            modelExists |= page.hasContents() && !page.contents().isEmpty()
                    || page.hasCommonPrefixes() && !page.commonPrefixes().isEmpty();
            for (CommonPrefix p : page.commonPrefixes()) {
                String v = p.prefix().substring(modelKey.length(), p.prefix().length() - 1);
                if (BundleMetadata.NAME_PATTERN.matcher(v).matches() && !v.contains("..")) {
                    candidates.add(v);
                }
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        if (!modelExists) {
            throw new ModelNotFoundException("unknown model '" + name + "'");
        }
        return candidates.stream()
                .filter(v -> exists(modelKey + v + "/" + Bundle.METADATA_FILE))
                .sorted(BundleFiles.VERSION_ORDER)
                .toList();
    }

    private Bundle fetchVersion(String name, String version) {
        String dirKey = versionKey(name, version);
        List<S3Object> objects = listAll(dirKey);
        if (objects.stream().noneMatch(o -> o.key().equals(dirKey + Bundle.METADATA_FILE))) {
            throw new ModelNotFoundException("model '" + name + "' has no version '" + version + "'");
        }
        String key = cacheKey(name, version, dirKey, objects);
        Path versionDir = cacheDir.resolve(name).resolve(version);
        Path target = versionDir.resolve(key);
        if (Files.isDirectory(target)) {
            touch(versionDir);
            return new Bundle(BundleFiles.readMetadata(target), target);
        }
        Bundle bundle = download(name, version, dirKey, objects, target);
        touch(versionDir);
        pruneVersions(versionDir);
        return bundle;
    }

    private Bundle download(String name, String version, String dirKey, List<S3Object> objects, Path target) {
        long started = System.nanoTime();
        Path versionDir = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(versionDir);
            tmp = Files.createTempDirectory(versionDir, TEMP_PREFIX + target.getFileName() + "-");
            long bytes = 0;
            for (S3Object o : objects) {
                String relative = o.key().substring(dirKey.length());
                if (relative.isEmpty()) {
                    continue;
                }
                Path file = resolveInside(tmp, relative, o.key());
                if (o.key().endsWith("/")) {
                    Files.createDirectories(file);
                    continue;
                }
                Files.createDirectories(file.getParent());
                get(o, file);
                bytes += o.size() == null ? 0 : o.size();
            }
            BundleMetadata metadata = readMetadata(tmp.resolve(Bundle.METADATA_FILE), dirKey + Bundle.METADATA_FILE);
            if (!Files.isDirectory(tmp.resolve(Bundle.PIPELINE_DIR))) {
                throw new BundleFormatException("bundle " + location(dirKey) + " has no " + Bundle.PIPELINE_DIR + "/ folder");
            }
            moveIntoPlace(tmp, target);
            LOG.info("bundle downloaded: model={} version={} objects={} bytes={} ms={} source={} cache={}",
                    name, version, objects.size(), bytes, (System.nanoTime() - started) / 1_000_000,
                    location(dirKey), target);
            removeOtherKeys(versionDir, target.getFileName().toString());
            return new Bundle(metadata, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cache " + location(dirKey) + " in " + versionDir + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                deleteRecursively(tmp);
            }
        }
    }

    private void get(S3Object o, Path file) {
        try {
            s3.getObject(GetObjectRequest.builder().bucket(bucket).key(o.key()).ifMatch(o.eTag()).build(),
                    ResponseTransformer.toFile(file));
        } catch (NoSuchKeyException e) {
            throw new BundleChangedException(location(o.key()) + " was deleted");
        } catch (S3Exception e) {
            if (e.statusCode() == 412) {
                throw new BundleChangedException(location(o.key()) + " no longer has ETag " + o.eTag());
            }
            throw e;
        }
    }

    private List<S3Object> listAll(String keyPrefix) {
        List<S3Object> all = new ArrayList<>();
        String token = null;
        do {
            ListObjectsV2Response page = s3.listObjectsV2(ListObjectsV2Request.builder()
                    .bucket(bucket).prefix(keyPrefix).continuationToken(token).build());
            all.addAll(page.contents());
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return all;
    }

    private Optional<String> readLatest(String key) {
        try {
            return BundleFiles.parseLatest(s3.getObjectAsBytes(GetObjectRequest.builder()
                    .bucket(bucket).key(key).build()).asUtf8String(), location(key));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    private boolean exists(String key) {
        try {
            s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build());
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Short hex digest of name, version and every (relative key, ETag) pair in key order. */
    static String cacheKey(String name, String version, String dirKey, List<S3Object> objects) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        sha.update((name + "\n" + version + "\n").getBytes(StandardCharsets.UTF_8));
        objects.stream()
                .sorted(Comparator.comparing(S3Object::key))
                .forEach(o -> sha.update((o.key().substring(dirKey.length()) + "\t" + o.eTag() + "\n")
                        .getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    private BundleMetadata readMetadata(Path file, String key) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return BundleFiles.readMetadata(in, location(key));
        }
    }

    private Path resolveInside(Path dir, String relative, String key) {
        Path file = dir.resolve(relative).normalize();
        if (!file.startsWith(dir) || file.equals(dir)) {
            throw new BundleFormatException("object " + location(key) + " points outside its bundle folder");
        }
        return file;
    }

    /** Renames the complete folder into place; if another fetch placed the same key first, keeps that. */
    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isDirectory(target)) {
                throw e;
            }
        }
    }

    /** Marks a cached version as just used (its folder's modification time orders the pruning). */
    private static void touch(Path versionDir) {
        try {
            Files.setLastModifiedTime(versionDir, java.nio.file.attribute.FileTime.from(Instant.now()));
        } catch (IOException e) {
            LOG.debug("cannot touch {}: {}", versionDir, e.toString());
        }
    }

    /** Removes the least recently used cached versions beyond {@link #MAX_CACHED_VERSIONS}, never {@code keep}. */
    private void pruneVersions(Path keep) {
        List<Path> versions = new java.util.ArrayList<>();
        try (Stream<Path> models = Files.list(cacheDir)) {
            for (Path model : models.filter(Files::isDirectory).toList()) {
                try (Stream<Path> children = Files.list(model)) {
                    children.filter(Files::isDirectory).forEach(versions::add);
                }
            }
            versions.sort(Comparator.comparing((Path p) -> {
                try {
                    return Files.getLastModifiedTime(p).toInstant();
                } catch (IOException e) {
                    return Instant.EPOCH;
                }
            }).reversed());
            int kept = 0;
            for (Path v : versions) {
                if (v.equals(keep) || ++kept < MAX_CACHED_VERSIONS) {
                    continue;
                }
                LOG.info("bundle cache full: removing the least recently used version {}", cacheDir.relativize(v));
                deleteRecursively(v);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot prune the bundle cache {}: {}", cacheDir, e.toString());
        }
    }

    private static void removeOtherKeys(Path versionDir, String keep) {
        Instant staleBefore = Instant.now().minus(STALE_TEMP);
        try (Stream<Path> children = Files.list(versionDir)) {
            for (Path child : children.toList()) {
                String fileName = child.getFileName().toString();
                boolean temp = fileName.startsWith(TEMP_PREFIX);
                if (!fileName.equals(keep)
                        && (!temp || Files.getLastModifiedTime(child).toInstant().isBefore(staleBefore))) {
                    deleteRecursively(child);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clean old cache folders in {}: {}", versionDir, e.toString());
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // already gone: moved into place or removed by another fetch
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot remove cache folder {}: {}", dir, e.toString());
        }
    }

    private String modelKey(String name) {
        return prefix + BundleFiles.requireSegment("model", name) + "/";
    }

    private String versionKey(String name, String version) {
        return modelKey(name) + BundleFiles.requireSegment("version", version) + "/";
    }

    private String location(String key) {
        String k = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
        return "s3://" + bucket + "/" + k;
    }

    private static String normalizePrefix(String prefix) {
        String p = prefix == null ? "" : prefix.strip();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    /** The version's objects changed between listing and download: list again. */
    private static final class BundleChangedException extends RuntimeException {
        BundleChangedException(String message) {
            super(message, null, false, false);
        }
    }
}
