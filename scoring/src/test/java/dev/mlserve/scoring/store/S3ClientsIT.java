package dev.mlserve.scoring.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.testing.MotoServer;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * The SDK's own endpoint setting (AWS_ENDPOINT_URL_S3, or its system property twin
 * aws.endpointUrlS3 that a test JVM can set) reaches clients built without an override.
 */
@ExtendWith(MotoServer.Extension.class)
class S3ClientsIT {
    private static final String ENDPOINT_PROPERTY = "aws.endpointUrlS3";

    @Test
    void create_withoutEndpointOverride_followsTheSdkEndpointSetting(MotoServer moto) {
        String bucket = "endpoint-" + UUID.randomUUID();
        System.setProperty(ENDPOINT_PROPERTY, moto.endpoint().toString());
        try (S3Client s3 = S3Clients.builder(new S3Clients.Settings(Region.US_EAST_1, true, null))
                .credentialsProvider(moto.credentials())
                .build()) {
            s3.createBucket(b -> b.bucket(bucket));

            assertThat(s3.listBuckets().buckets()).extracting(Bucket::name).contains(bucket);
        } finally {
            System.clearProperty(ENDPOINT_PROPERTY);
        }
        try (S3Client viaFixture = moto.s3Client()) {
            assertThat(viaFixture.listBuckets().buckets()).extracting(Bucket::name).contains(bucket);
        }
    }
}
