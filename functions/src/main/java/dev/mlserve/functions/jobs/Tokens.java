package dev.mlserve.functions.jobs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Deterministic idempotency tokens and the hashes that name token markers. */
public final class Tokens {
    private Tokens() {
    }

    public static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * The clientToken of an uploaded object's batch job: the same object version (bucket, key,
     * ETag) always gives the same token, so a redelivered event starts no second job. 64 hex
     * characters, which is what EMR's clientToken accepts.
     */
    public static String forUpload(String bucket, String key, String etag) {
        return sha256Hex(bucket + "\n" + key + "\n" + etag);
    }
}
