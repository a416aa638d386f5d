package dev.mlserve.scoring.store;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Builds the SDK v2 {@link S3Client} every S3 adapter uses, from a few {@link Settings}.
 *
 * <p>The endpoint: in AWS nothing is set and the SDK resolves the regional endpoint. For a local
 * emulator either pass {@link Settings#endpointOverride()} or set the SDK's own standard variables
 * {@code AWS_ENDPOINT_URL_S3} / {@code AWS_ENDPOINT_URL} (system properties
 * {@code aws.endpointUrlS3} / {@code aws.endpointUrl}): the SDK reads those itself when the
 * builder has no override, so this class only sets one when it is given explicitly.
 */
public final class S3Clients {
    /** The region; set by Lambda and EMR. */
    public static final String REGION_ENV = "AWS_REGION";
    /** {@code true} for an emulator on 127.0.0.1 (path-style URLs); unset or {@code false} in AWS. */
    public static final String FORCE_PATH_STYLE_ENV = "S3_FORCE_PATH_STYLE";
    public static final Region DEFAULT_REGION = Region.US_EAST_1;

    private S3Clients() {
    }

    /**
     * @param region the signing region (also the endpoint's region unless an endpoint is set)
     * @param forcePathStyle {@code http://host/bucket/key} instead of {@code http://bucket.host/key}:
     *     needed by emulators on an IP address, off in AWS
     * @param endpointOverride an explicit endpoint, or null to let the SDK decide (including its
     *     {@code AWS_ENDPOINT_URL*} variables)
     */
    public record Settings(Region region, boolean forcePathStyle, URI endpointOverride) {
        public Settings {
            Objects.requireNonNull(region, "region");
        }

        /** What Lambda and the CLI use: {@link #fromEnvironment(Map)} over the process environment. */
        public static Settings fromEnvironment() {
            return fromEnvironment(System.getenv());
        }

        /**
         * {@code AWS_REGION} (default us-east-1) and {@code S3_FORCE_PATH_STYLE} (default false).
         * No endpoint: the SDK reads {@code AWS_ENDPOINT_URL_S3} / {@code AWS_ENDPOINT_URL} itself.
         *
         * @throws IllegalArgumentException naming the variable when a value is not usable
         */
        public static Settings fromEnvironment(Map<String, String> env) {
            String region = env.getOrDefault(REGION_ENV, "").strip();
            return new Settings(region.isEmpty() ? DEFAULT_REGION : Region.of(region),
                    parseBoolean(FORCE_PATH_STYLE_ENV, env.get(FORCE_PATH_STYLE_ENV)), null);
        }

        /** An emulator at a known address: path style on, us-east-1. */
        public static Settings forEmulator(URI endpoint) {
            return new Settings(DEFAULT_REGION, true, Objects.requireNonNull(endpoint, "endpoint"));
        }
    }

    /** A client from the settings, with the default credentials chain. */
    public static S3Client create(Settings settings) {
        return builder(settings).build();
    }

    /** A builder with the settings applied, for callers that add credentials or interceptors. */
    public static S3ClientBuilder builder(Settings settings) {
        S3ClientBuilder builder = S3Client.builder()
                .region(settings.region())
                .forcePathStyle(settings.forcePathStyle())
                .httpClientBuilder(ApacheHttpClient.builder());
        if (settings.endpointOverride() != null) {
            builder.endpointOverride(settings.endpointOverride());
        }
        return builder;
    }

    private static boolean parseBoolean(String variable, String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "", "false" -> false;
            case "true" -> true;
            default -> throw new IllegalArgumentException(variable + " must be true or false, not '" + value + "'");
        };
    }
}
