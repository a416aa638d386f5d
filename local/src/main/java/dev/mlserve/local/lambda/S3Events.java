package dev.mlserve.local.lambda;

import dev.mlserve.functions.store.LocalObjectStore;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;

/**
 * S3 {@code ObjectCreated:Put} notifications as S3 sends them (key URL-encoded, ETag unquoted),
 * built as JSON and read back with the runtime's serializer, so a handler sees exactly what it
 * would see in Lambda.
 */
public final class S3Events {
    private S3Events() {
    }

    /** The event of one object written to {@code bucket}: its key, size and ETag (MD5 hex of a single-part upload). */
    public static S3Event put(String bucket, String key, long size, String etag, Instant at) {
        ObjectNode record = Json.MAPPER.createObjectNode();
        record.put("eventVersion", "2.1").put("eventSource", "aws:s3").put("awsRegion", "us-east-1")
                .put("eventTime", at.toString()).put("eventName", "ObjectCreated:Put");
        record.putObject("userIdentity").put("principalId", "AWS:LOCAL");
        record.putObject("requestParameters").put("sourceIPAddress", "127.0.0.1");
        record.putObject("responseElements").put("x-amz-request-id", UUID.randomUUID().toString())
                .put("x-amz-id-2", "local");
        ObjectNode s3 = record.putObject("s3");
        s3.put("s3SchemaVersion", "1.0").put("configurationId", "local-emulator");
        s3.putObject("bucket").put("name", bucket).put("arn", "arn:aws:s3:::" + bucket)
                .putObject("ownerIdentity").put("principalId", "LOCAL");
        s3.putObject("object").put("key", encodeKey(key)).put("size", size).put("eTag", etag)
                .put("sequencer", Long.toHexString(at.toEpochMilli()).toUpperCase());
        ObjectNode event = Json.MAPPER.createObjectNode();
        event.putArray("Records").add(record);
        try {
            return LambdaJson.read(Json.MAPPER.writeValueAsBytes(event), S3Event.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The event of a local file standing for the object {@code key}. */
    public static S3Event put(String bucket, String key, Path file) throws IOException {
        return put(bucket, key, Files.size(file), md5Hex(file), Files.getLastModifiedTime(file).toInstant());
    }

    /** Keys in S3 events are form-encoded: spaces as '+', slashes kept. */
    public static String encodeKey(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
    }

    /** The object's ETag as S3 reports it for a single-part upload (MD5 hex). */
    public static String md5Hex(Path file) throws IOException {
        return LocalObjectStore.etag(file);
    }
}
