package dev.mlserve.functions.emr;

import dev.mlserve.scoring.store.S3Clients;
import java.net.URI;
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
                .httpClientBuilder(ApacheHttpClient.builder());
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
