package dev.mlserve.functions.s3;

import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.store.Keys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartCopyResponse;

/**
 * The bucket through the SDK v2 {@link S3Client} (built by {@code S3Clients}). SDK exceptions other
 * than "no such key" propagate unchanged: they are real faults and keep their type (throttling,
 * access denied) for the caller's logs.
 */
public final class S3ObjectStore implements ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);
    /** S3 answers 409 ConditionalRequestConflict while another conditional write of the key is in flight. */
    private static final int CONFLICT_ATTEMPTS = 3;

    private final S3Client s3;
    private final String bucket;
    private final int pageSize;
    /** Objects larger than this are copied part by part (CopyObject takes at most 5 GiB). */
    private final long copyPartBytes;

    /** CopyObject's own limit, and the part size of larger copies (at most 10,000 parts: 50 TiB). */
    static final long MAX_COPY_BYTES = 5L << 30;

    public S3ObjectStore(S3Client s3, String bucket) {
        this(s3, bucket, 1000);
    }

    /** @param pageSize keys per ListObjectsV2 page (tests use a tiny one to exercise pagination) */
    S3ObjectStore(S3Client s3, String bucket, int pageSize) {
        this(s3, bucket, pageSize, MAX_COPY_BYTES);
    }

    /** @param copyPartBytes copies of larger objects go part by part (tests use S3's 5 MiB minimum) */
    S3ObjectStore(S3Client s3, String bucket, int pageSize, long copyPartBytes) {
        this.copyPartBytes = copyPartBytes;
        this.s3 = Objects.requireNonNull(s3, "s3");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("bucket is blank");
        }
        this.bucket = bucket;
        this.pageSize = pageSize;
    }

    public String bucket() {
        return bucket;
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        Keys.requireKey(key);
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new ObjectInfo(key, head.contentLength(), unquote(head.eTag())));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        Keys.requireKey(key);
        try {
            return s3.getObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            throw noSuchFile(key, e);
        }
    }

    /** GetObject of {@code versionId}, or with {@code If-Match: etag}: S3 answers 404 or 412 when it is gone. */
    @Override
    public boolean downloadVersion(String key, String versionId, String etag, Path target) throws IOException {
        Keys.requireKey(key);
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(target);
        GetObjectRequest.Builder request = GetObjectRequest.builder().bucket(bucket).key(key);
        if (versionId != null && !versionId.isBlank() && !versionId.equals("null")) {
            request.versionId(versionId);
        } else {
            request.ifMatch(quote(etag));
        }
        try {
            s3.getObject(request.build(), ResponseTransformer.toFile(target));
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            Files.deleteIfExists(target);
            if (e.statusCode() == 412 || e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
        return true;
    }

    /**
     * A server-side copy of one version: {@code x-amz-copy-source} with the versionId, else with
     * {@code x-amz-copy-source-if-match} on the ETag (on every part of a multipart copy, so all parts
     * come from the same version). False when that version is gone.
     */
    @Override
    public boolean copyVersion(String key, String versionId, String etag, String targetKey) {
        Keys.requireKey(key);
        Keys.requireKey(targetKey);
        boolean byVersion = versionId != null && !versionId.isBlank() && !versionId.equals("null");
        long size;
        try {
            size = s3.headObject(b -> {
                b.bucket(bucket).key(key);
                if (byVersion) {
                    b.versionId(versionId);
                } else {
                    b.ifMatch(quote(etag));
                }
            }).contentLength();
        } catch (S3Exception e) {
            if (versionGone(e)) {
                return false;
            }
            throw e;
        }
        try {
            if (size <= copyPartBytes) {
                s3.copyObject(b -> {
                    b.sourceBucket(bucket).sourceKey(key).destinationBucket(bucket).destinationKey(targetKey);
                    if (byVersion) {
                        b.sourceVersionId(versionId);
                    } else {
                        b.copySourceIfMatch(quote(etag));
                    }
                });
            } else {
                copyInParts(key, byVersion ? versionId : null, etag, targetKey, size);
            }
        } catch (S3Exception e) {
            if (versionGone(e)) {
                return false;
            }
            throw e;
        }
        return true;
    }

    /** No such key (404, NoSuchKey), or not that version any more (412 on If-Match). */
    private static boolean versionGone(S3Exception e) {
        return e instanceof NoSuchKeyException || e.statusCode() == 412 || e.statusCode() == 404;
    }

    private void copyInParts(String key, String versionId, String etag, String targetKey, long size) {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(targetKey)).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long from = 0; from < size; from += copyPartBytes, number++) {
                long to = Math.min(size, from + copyPartBytes) - 1;
                int part = number;
                long start = from;
                UploadPartCopyResponse copied = s3.uploadPartCopy(b -> {
                    b.sourceBucket(bucket).sourceKey(key).destinationBucket(bucket).destinationKey(targetKey)
                            .uploadId(uploadId).partNumber(part).copySourceRange("bytes=" + start + "-" + to);
                    if (versionId != null) {
                        b.sourceVersionId(versionId);
                    } else {
                        b.copySourceIfMatch(quote(etag));
                    }
                });
                parts.add(CompletedPart.builder().partNumber(part).eTag(copied.copyPartResult().eTag()).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(targetKey).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
        } catch (RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(targetKey).uploadId(uploadId));
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    @Override
    public void put(String key, byte[] bytes, String contentType) {
        s3.putObject(request(key, contentType).build(), RequestBody.fromBytes(bytes));
    }

    @Override
    public void upload(Path source, String key, String contentType) {
        s3.putObject(request(key, contentType).build(), RequestBody.fromFile(source));
    }

    /** A conditional write ({@code If-None-Match: *}): S3 answers 412 when the key exists. */
    @Override
    public boolean putIfAbsent(String key, byte[] bytes, String contentType) {
        PutObjectRequest request = request(key, contentType).ifNoneMatch("*").build();
        for (int attempt = 1; ; attempt++) {
            try {
                s3.putObject(request, RequestBody.fromBytes(bytes));
                return true;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return false;
                }
                if (e.statusCode() != 409 || attempt == CONFLICT_ATTEMPTS) {
                    throw e;
                }
                LOG.info("conditional write conflict, trying again: key={} attempt={}", key, attempt);
            }
        }
    }

    /** A conditional write ({@code If-Match}): S3 answers 412 when the ETag differs, 404 when the key is gone. */
    @Override
    public boolean putIfMatch(String key, byte[] bytes, String contentType, String etag) {
        PutObjectRequest request = request(key, contentType).ifMatch(quote(etag)).build();
        for (int attempt = 1; ; attempt++) {
            try {
                s3.putObject(request, RequestBody.fromBytes(bytes));
                return true;
            } catch (NoSuchKeyException e) {
                return false;
            } catch (S3Exception e) {
                if (e.statusCode() == 412 || e.statusCode() == 404) {
                    return false;
                }
                if (e.statusCode() != 409 || attempt == CONFLICT_ATTEMPTS) {
                    throw e;
                }
                LOG.info("conditional write conflict, trying again: key={} attempt={}", key, attempt);
            }
        }
    }

    @Override
    public Optional<Stored> read(String key) {
        Keys.requireKey(key);
        try {
            ResponseBytes<GetObjectResponse> object = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
            return Optional.of(new Stored(object.asByteArray(), unquote(object.response().eTag())));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    @Override
    public void delete(String key) {
        Keys.requireKey(key);
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    @Override
    public List<String> list(String prefix) {
        Keys.requirePrefix(prefix);
        List<String> keys = new ArrayList<>();
        ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).maxKeys(pageSize)
                .build();
        for (S3Object o : s3.listObjectsV2Paginator(request).contents()) {
            keys.add(o.key());
        }
        return keys;
    }

    @Override
    public String uri(String key) {
        return "s3://" + bucket + "/" + Keys.requirePrefix(key);
    }

    private PutObjectRequest.Builder request(String key, String contentType) {
        Keys.requireKey(key);
        return PutObjectRequest.builder().bucket(bucket).key(key).contentType(contentType);
    }

    private NoSuchFileException noSuchFile(String key, Exception cause) {
        NoSuchFileException e = new NoSuchFileException(uri(key));
        e.initCause(cause);
        return e;
    }

    /** An ETag as HTTP's conditional headers carry it: quoted. */
    static String quote(String etag) {
        return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
    }

    /** HeadObject quotes the ETag; S3 events do not. */
    static String unquote(String etag) {
        if (etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            return etag.substring(1, etag.length() - 1);
        }
        return etag;
    }
}
