package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestTest {
    private static Manifest failed(Long omitted) {
        return new Manifest(Manifest.FAILED, "file:/in.csv", null, null, "csv", "churn", "1", 0, 0, 0, "inline",
                null, null, null, null, "2026-12-02T12:00:00Z", "2026-12-02T12:00:01Z", 1000,
                "required columns are missing", List.of(new Violation(-1, "plan", "required column is missing")),
                omitted);
    }

    @Test
    void json_ofAFailedManifestWithOmittedDetails_namesTheCountAfterTheDetailsAndReadsBack() throws Exception {
        Manifest manifest = failed(250L);

        String json = Json.MAPPER.writeValueAsString(manifest);

        JsonNode node = Json.MAPPER.readTree(json);
        assertThat(node.get("detailsOmitted").asLong()).isEqualTo(250);
        assertThat(json.indexOf("\"detailsOmitted\"")).isGreaterThan(json.indexOf("\"details\""));
        assertThat(Json.MAPPER.readValue(json, Manifest.class)).isEqualTo(manifest);
    }

    @Test
    void json_ofAManifestWithCompleteDetails_hasNoOmittedCount() throws Exception {
        String json = Json.MAPPER.writeValueAsString(failed(null));

        assertThat(Json.MAPPER.readTree(json).has("detailsOmitted")).isFalse();
        assertThat(Json.MAPPER.readValue(json, Manifest.class).detailsOmitted()).isNull();
    }
}
