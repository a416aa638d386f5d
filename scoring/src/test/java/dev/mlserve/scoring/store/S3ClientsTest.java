package dev.mlserve.scoring.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

class S3ClientsTest {

    @Test
    void fromEnvironment_withNothingSet_isUsEast1VirtualHostedAndNoEndpoint() {
        S3Clients.Settings settings = S3Clients.Settings.fromEnvironment(Map.of());

        assertThat(settings).isEqualTo(new S3Clients.Settings(Region.US_EAST_1, false, null));
    }

    @Test
    void fromEnvironment_readsRegionAndPathStyle_butNeverTheEndpointVariables() {
        S3Clients.Settings settings = S3Clients.Settings.fromEnvironment(Map.of(
                "AWS_REGION", "eu-west-1", "S3_FORCE_PATH_STYLE", "TRUE",
                "AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5000"));

        assertThat(settings).isEqualTo(new S3Clients.Settings(Region.EU_WEST_1, true, null));
    }

    @Test
    void fromEnvironment_withPathStyleNotABoolean_failsNamingTheVariable() {
        assertThatThrownBy(() -> S3Clients.Settings.fromEnvironment(Map.of("S3_FORCE_PATH_STYLE", "yes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("S3_FORCE_PATH_STYLE must be true or false, not 'yes'");
    }
}
