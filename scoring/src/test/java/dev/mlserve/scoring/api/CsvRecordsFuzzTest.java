package dev.mlserve.scoring.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mlserve.scoring.error.BadInputException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Arbitrary text as a CSV body: {@link CsvRecords#parse} answers rows that all have the header's
 * columns, or refuses with {@link BadInputException}. Seeds: CsvRecordsFuzzTestInputs/ in test resources.
 */
class CsvRecordsFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void parse(byte[] text) {
        List<Map<String, String>> rows;
        try {
            rows = CsvRecords.parse(new String(text, StandardCharsets.UTF_8));
        } catch (BadInputException expected) {
            assertThat(expected.violations()).isNotEmpty().hasSizeLessThanOrEqualTo(BadInputException.MAX_DETAILS);
            return;
        }
        if (!rows.isEmpty()) {
            int columns = rows.get(0).size();
            assertThat(rows).allSatisfy(row -> assertThat(row).hasSize(columns));
        }
    }
}
