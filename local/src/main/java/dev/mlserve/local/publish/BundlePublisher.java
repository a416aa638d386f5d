package dev.mlserve.local.publish;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.error.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Uploads a bundle version folder to {@code s3://BUCKET/PREFIX/<name>/<version>/}, the layout the
 * functions read, without ever exposing a half-uploaded version or replacing a published one.
 *
 * <p>The steps: (1) refuse when the version's {@code bundle.json} exists; (2) claim the version by
 * creating {@code <name>/<version>.publishing} only if absent ({@code If-None-Match: *}), so of two
 * concurrent publishes of one version exactly one goes on and the other writes nothing; (3) look for
 * {@code bundle.json} again, now under the claim (a publish that finished between (1) and (2));
 * (4) upload every other file; (5) {@code bundle.json}, again only if absent: readers list a
 * version only once it has one, so until here the upload is invisible; (6) with {@code latest},
 * {@code <name>/LATEST}; (7) drop the claim. A failed upload drops the claim too, so it can simply be
 * run again; a killed one leaves the claim, and the refusal names the object to delete.
 */
public final class BundlePublisher {
    private static final Logger LOG = LoggerFactory.getLogger(BundlePublisher.class);
    static final String CLAIM_SUFFIX = ".publishing";

    private final S3Client s3;

    public BundlePublisher(S3Client s3) {
        this.s3 = s3;
    }

    /** Where a publish goes: {@code s3://bucket/prefix/}. */
    public record Target(String bucket, String prefix) {
        /** {@code s3://BUCKET/} or {@code s3://BUCKET/some/prefix/} (the trailing slash is optional). */
        public static Target parse(String uri) {
            if (uri == null || !uri.startsWith("s3://") || uri.length() <= "s3://".length()) {
                throw new IllegalArgumentException("--to must be an S3 location like s3://BUCKET/models/, not '" + uri + "'");
            }
            String rest = uri.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1);
            if (bucket.isEmpty()) {
                throw new IllegalArgumentException("--to names no bucket: '" + uri + "'");
            }
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
            return new Target(bucket, prefix);
        }

        String uri(String key) {
            return "s3://" + bucket + "/" + key;
        }
    }

    /** What was published. */
    public record Result(String name, String version, String location, int files, long bytes, boolean latest) {
    }

    /** The version exists, or another publish holds it: nothing was written. */
    public static final class VersionTakenException extends BadInputException {
        VersionTakenException(String message) {
            super(message);
        }
    }

    public Result publish(Path bundleDir, Target target, boolean latest) {
        Path dir = bundleDir.toAbsolutePath().normalize();
        BundleMetadata metadata = BundleFiles.readMetadata(dir);
        String modelKey = target.prefix() + metadata.name() + "/";
        String versionKey = modelKey + metadata.version() + "/";
        String metadataKey = versionKey + Bundle.METADATA_FILE;
        String claimKey = modelKey + metadata.version() + CLAIM_SUFFIX;
        List<Path> files = filesOf(dir);

        if (exists(target.bucket(), metadataKey)) {
            throw taken(metadata, target.uri(versionKey));
        }
        claim(target, claimKey, metadata);
        boolean done = false;
        try {
            if (exists(target.bucket(), metadataKey)) {
                throw taken(metadata, target.uri(versionKey));
            }
            long bytes = 0;
            for (Path file : files) {
                String key = versionKey + relative(dir, file);
                s3.putObject(PutObjectRequest.builder().bucket(target.bucket()).key(key).build(),
                        RequestBody.fromFile(file));
                bytes += size(file);
            }
            try {
                s3.putObject(PutObjectRequest.builder().bucket(target.bucket()).key(metadataKey)
                                .contentType("application/json").ifNoneMatch("*").build(),
                        RequestBody.fromFile(dir.resolve(Bundle.METADATA_FILE)));
            } catch (S3Exception e) {
                if (isConditionFailure(e)) {
                    throw new IllegalStateException(target.uri(metadataKey) + " was written by something else while "
                            + "this publish uploaded (not through publish); check that version's files");
                }
                throw e;
            }
            bytes += size(dir.resolve(Bundle.METADATA_FILE));
            if (latest) {
                s3.putObject(PutObjectRequest.builder().bucket(target.bucket()).key(modelKey + Bundle.LATEST_FILE)
                                .contentType("text/plain").build(),
                        RequestBody.fromString(metadata.version() + "\n", StandardCharsets.UTF_8));
            }
            done = true;
            LOG.info("published: model={} version={} location={} files={} bytes={} latest={}", metadata.name(),
                    metadata.version(), target.uri(versionKey), files.size() + 1, bytes, latest);
            return new Result(metadata.name(), metadata.version(), target.uri(versionKey), files.size() + 1, bytes,
                    latest);
        } finally {
            release(target, claimKey, done);
        }
    }

    private void claim(Target target, String claimKey, BundleMetadata metadata) {
        String body = "publish of " + metadata.name() + " " + metadata.version() + " by " + host() + " at "
                + Instant.now() + " (" + UUID.randomUUID() + ")\n";
        try {
            s3.putObject(PutObjectRequest.builder().bucket(target.bucket()).key(claimKey).contentType("text/plain")
                    .ifNoneMatch("*").build(), RequestBody.fromString(body, StandardCharsets.UTF_8));
        } catch (S3Exception e) {
            if (isConditionFailure(e)) {
                throw new VersionTakenException("another publish of " + metadata.name() + " version "
                        + metadata.version() + " is under way, or one was stopped before it finished ("
                        + target.uri(claimKey) + " exists); nothing was written. If no publish is running, "
                        + "delete that object and publish again");
            }
            throw e;
        }
    }

    private void release(Target target, String claimKey, boolean done) {
        try {
            s3.deleteObject(DeleteObjectRequest.builder().bucket(target.bucket()).key(claimKey).build());
        } catch (RuntimeException e) {
            LOG.warn("could not delete {} ({}): delete it before publishing this version again{}",
                    target.uri(claimKey), e.toString(), done ? "" : " (the publish failed)");
        }
    }

    private static VersionTakenException taken(BundleMetadata metadata, String location) {
        return new VersionTakenException(metadata.name() + " version " + metadata.version() + " is already published at "
                + location + "; published versions are never replaced: choose a new version");
    }

    private boolean exists(String bucket, String key) {
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

    /** 412: the object exists; 409: a concurrent conditional write of the same key won. */
    private static boolean isConditionFailure(S3Exception e) {
        return e.statusCode() == 412 || e.statusCode() == 409;
    }

    /** Every regular file but bundle.json (uploaded last), in a stable order. */
    private static List<Path> filesOf(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> files = new ArrayList<>(walk.filter(Files::isRegularFile)
                    .filter(p -> !p.equals(dir.resolve(Bundle.METADATA_FILE)))
                    .sorted().toList());
            if (!Files.isDirectory(dir.resolve(Bundle.PIPELINE_DIR))) {
                throw new BadInputException(dir + " is not a bundle version folder: it has no "
                        + Bundle.PIPELINE_DIR + "/ folder");
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String relative(Path dir, Path file) {
        return dir.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    /** The result as the CLI prints it. */
    public static Map<String, Object> describe(Result r) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("published", r.location());
        body.put("name", r.name());
        body.put("version", r.version());
        body.put("files", r.files());
        body.put("bytes", r.bytes());
        body.put("latest", r.latest());
        return body;
    }
}
