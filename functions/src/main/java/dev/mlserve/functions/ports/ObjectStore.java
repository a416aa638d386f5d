package dev.mlserve.functions.ports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * Port: the bucket. Keys are relative ("incoming/churn/a.csv"); adapters: S3 (SDK v2) and a local
 * directory laid out like the bucket (the embedded default).
 */
public interface ObjectStore {

    /** Metadata of one object, or empty when absent. The ETag is unquoted (as S3 events carry it). */
    Optional<ObjectInfo> head(String key);

    /**
     * @throws java.nio.file.NoSuchFileException when there is no object with the key (callers also
     *     accept {@link java.io.FileNotFoundException} from simpler implementations)
     */
    InputStream open(String key) throws IOException;

    /** Copies an object to a local file (for Spark to read), replacing the file; creates its folder. */
    default void download(String key, Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (InputStream in = open(key)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Copies one version of an object to a local file: the version {@code versionId} names when it is
     * known (a versioned bucket), else the object only while its ETag is {@code etag}. Answers false,
     * leaving no file, when that version is gone (overwritten or deleted since): new bytes are never
     * read under an old ETag. This default checks the ETag before and after the copy (enough for a
     * store on one machine); the S3 adapter asks S3 itself ({@code versionId}, {@code If-Match}).
     */
    default boolean downloadVersion(String key, String versionId, String etag, Path target) throws IOException {
        if (!head(key).map(ObjectInfo::etag).filter(etag::equals).isPresent()) {
            return false;
        }
        download(key, target);
        if (!head(key).map(ObjectInfo::etag).filter(etag::equals).isPresent()) {
            Files.deleteIfExists(target);
            return false;
        }
        return true;
    }

    /**
     * Copies one version of an object to another key of this store, the way {@link #downloadVersion}
     * reads it: the version {@code versionId} names, else the object only while its ETag is
     * {@code etag}. Answers false, copying nothing, when that version is gone. The batch route pins
     * an upload this way before a job reads it. This default goes through a local temporary file; the
     * S3 adapter copies inside S3.
     */
    default boolean copyVersion(String key, String versionId, String etag, String targetKey) throws IOException {
        Path tmp = Files.createTempFile("mlserve-copy-", ".tmp");
        try {
            if (!downloadVersion(key, versionId, etag, tmp)) {
                return false;
            }
            upload(tmp, targetKey, "application/octet-stream");
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    void put(String key, byte[] bytes, String contentType) throws IOException;

    /** Uploads a local file. */
    void upload(Path source, String key, String contentType) throws IOException;

    /**
     * Writes only when no object has the key (S3 {@code If-None-Match: *}); answers false, writing
     * nothing, when one exists. The building block of at-most-once job starts.
     */
    boolean putIfAbsent(String key, byte[] bytes, String contentType) throws IOException;

    /**
     * Replaces an object only while its ETag is {@code etag} (S3 {@code If-Match}); answers false,
     * writing nothing, when it has another or is gone. With {@link #putIfAbsent} the building block
     * of the result commit: two writers of one manifest never both win.
     */
    boolean putIfMatch(String key, byte[] bytes, String contentType, String etag) throws IOException;

    /** An object's bytes and the ETag of exactly those bytes (for a later {@link #putIfMatch}); empty when absent. */
    Optional<Stored> read(String key) throws IOException;

    /** Removes an object; nothing happens when there is none. */
    void delete(String key) throws IOException;

    /** Keys under a prefix, recursively, in key order. */
    List<String> list(String prefix) throws IOException;

    /**
     * The URI Spark and EMR use for a key: s3://bucket/key, or file:/... for the local store. Not
     * percent-encoded (a Hadoop path string); {@code uri("")} is the prefix of every other URI.
     */
    String uri(String key);

    record ObjectInfo(String key, long size, String etag) {
    }

    /** @param etag unquoted, as {@link ObjectInfo#etag()} */
    record Stored(byte[] bytes, String etag) {
    }
}
