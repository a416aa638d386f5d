package dev.mlserve.functions.emr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.functions.jobs.StoreJobs;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;

class EmrClientsTest {

    @Test
    void client_boundsEveryCallAndEveryAttempt() {
        try (EmrServerlessClient emr = EmrClients.builder(Region.US_EAST_1, URI.create("http://127.0.0.1:1")).build()) {
            assertThat(emr.serviceClientConfiguration().overrideConfiguration().apiCallTimeout())
                    .contains(EmrClients.API_CALL_TIMEOUT);
            assertThat(emr.serviceClientConfiguration().overrideConfiguration().apiCallAttemptTimeout())
                    .contains(EmrClients.API_CALL_ATTEMPT_TIMEOUT);
        }
    }

    @Test
    void aSubmitsLongestPossibleStart_endsBeforeAnotherDeliveryMayTakeItsMarkerOver() {
        Duration longestStart = EmrClients.API_CALL_TIMEOUT.multipliedBy(Backoff.DEFAULT_ATTEMPTS)
                .plus(Backoff.DEFAULT_CAP.multipliedBy(Backoff.DEFAULT_ATTEMPTS - 1));

        assertThat(longestStart).isLessThan(StoreJobs.DEFAULT_TAKEOVER_AFTER);
        assertThat(StoreJobs.DEFAULT_TAKEOVER_AFTER).as("within S3's retries of an event (about +1 and +3 min)")
                .isLessThan(Duration.ofMinutes(3));
    }
}
