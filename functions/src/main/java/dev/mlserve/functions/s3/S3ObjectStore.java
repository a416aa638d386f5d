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
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

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

    public S3ObjectStore(S3Client s3, String bucket) {
        this(s3, bucket, 1000);
    }

    /** @param pageSize keys per ListObjectsV2 page (tests use a tiny one to exercise pagination) */
    S3ObjectStore(S3Client s3, String bucket, int pageSize) {
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
            request.ifMatch(etag);
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
        PutObjectRequest request = request(key, contentType).ifMatch("\"" + etag + "\"").build();
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

    /** HeadObject quotes the ETag; S3 events do not. */
    static String unquote(String etag) {
        if (etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            return etag.substring(1, etag.length() - 1);
        }
        return etag;
    }
}
