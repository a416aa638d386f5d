package dev.mlserve.scoring.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mlserve.scoring.error.BadInputException;
import java.nio.charset.StandardCharsets;

/**
 * Any bytes as a request body, for each content type the API accepts: {@link PredictBody#parse}
 * either answers a body or refuses it with {@link BadInputException}; any other exception (or
 * error) escapes and is a finding. Seeds and findings: PredictBodyFuzzTestInputs/ in test resources.
 */
class PredictBodyFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void parse_json(byte[] body) {
        parse(new String(body, StandardCharsets.UTF_8), "application/json");
    }

    @FuzzTest(maxDuration = "2m")
    void parse_csv(byte[] body) {
        parse(new String(body, StandardCharsets.UTF_8), "text/csv; charset=utf-8");
    }

    private static void parse(String body, String contentType) {
        try {
            PredictBody parsed = PredictBody.parse(body, contentType);
            assertThat(parsed.records()).isNotNull();
            assertThat(parsed.format()).isNotNull();
        } catch (BadInputException expected) {
            assertThat(expected.violations()).isNotNull().hasSizeLessThanOrEqualTo(BadInputException.MAX_DETAILS);
        }
    }
}
