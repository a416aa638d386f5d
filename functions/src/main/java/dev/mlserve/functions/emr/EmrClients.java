package dev.mlserve.functions.emr;

import dev.mlserve.scoring.store.S3Clients;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClientBuilder;

/**
 * Builds the SDK v2 {@link EmrServerlessClient}: Apache HTTP client (as {@link S3Clients}; the
 * Netty client is excluded from the build), region from {@code AWS_REGION}. With no explicit
 * endpoint the SDK itself honours {@code AWS_ENDPOINT_URL_EMR_SERVERLESS} / {@code AWS_ENDPOINT_URL}
 * (system properties {@code aws.endpointUrlEmrServerless} / {@code aws.endpointUrl}).
 */
public final class EmrClients {
    /**
     * Bounds on every EMR Serverless call, retries included, so a submit that hangs ends in time for
     * another delivery of the event to take it over (StoreJobs.DEFAULT_TAKEOVER_AFTER).
     */
    public static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(20);
    public static final Duration API_CALL_ATTEMPT_TIMEOUT = Duration.ofSeconds(8);

    private EmrClients() {
    }

    /** The client Lambda uses: region from the environment, endpoint as the SDK resolves it. */
    public static EmrServerlessClient fromEnvironment() {
        return builder(region(System.getenv()), null).build();
    }

    /** @param endpointOverride an explicit endpoint (an emulator), or null to let the SDK decide */
    public static EmrServerlessClientBuilder builder(Region region, URI endpointOverride) {
        EmrServerlessClientBuilder builder = EmrServerlessClient.builder()
                .region(region)
                .httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(c -> c.apiCallTimeout(API_CALL_TIMEOUT)
                        .apiCallAttemptTimeout(API_CALL_ATTEMPT_TIMEOUT));
        if (endpointOverride != null) {
            builder.endpointOverride(endpointOverride);
        }
        return builder;
    }

    static Region region(Map<String, String> env) {
        String region = env.getOrDefault(S3Clients.REGION_ENV, "").strip();
        return region.isEmpty() ? S3Clients.DEFAULT_REGION : Region.of(region);
    }
}
