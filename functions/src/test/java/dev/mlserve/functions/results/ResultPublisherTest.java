package dev.mlserve.functions.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.functions.results.ResultPublisher.Commit;
import dev.mlserve.functions.results.ResultPublisher.Version;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultPublisherTest {
    private static final String RESULT = "scored/churn/big.csv/";
    private static final String RUN = RESULT + "runs/upload-1/";

    @TempDir
    Path temp;
    private LocalObjectStore store;
    private ResultPublisher publisher;

    @BeforeEach
    void setUp() throws Exception {
        store = new LocalObjectStore(temp.resolve("bucket"));
        publisher = new ResultPublisher(store);
        store.put(RUN + "scored/part-00000.csv", "plan,prediction\nbasic,1.0\n".getBytes(StandardCharsets.UTF_8),
                "text/csv");
    }

    private Manifest runManifest(String status) {
        boolean ok = status.equals(Manifest.SUCCEEDED);
        return new Manifest(status, store.uri("incoming/churn/big.csv"), "etag-1", null, "csv", "churn", "3", 1,
                ok ? 1 : 0, 0, "batch", "r", "upload-1",
                ok ? new Manifest.Output(store.uri(RUN + "scored/"), store.uri(RUN + "rejected.jsonl")) : null,
                ok ? List.of("prediction") : null, "2026-12-02T20:00:00Z", "2026-12-02T20:01:00Z", 60_000,
                ok ? null : "no header", null);
    }

    @Test
    void commitRun_seenTwiceAtOnceForTheSameRun_keepsTheFilesTheCommittedManifestNames() throws Exception {
        Manifest m = runManifest(Manifest.SUCCEEDED);

        Commit first = publisher.commitRun(RESULT, RUN, m, new Version("etag-1", null), () -> true);
        // the second sighting of the same run's end had decided to commit before the first committed
        Commit second = publisher.commitRun(RESULT, RUN, m, new Version("etag-1", null), () -> true);

        assertThat(first).isEqualTo(Commit.COMMITTED);
        assertThat(second).isEqualTo(Commit.DUPLICATE);
        assertThat(store.list(RUN)).containsExactly(RUN + "scored/part-00000.csv");
        assertThat(Json.MAPPER.readTree(store.open(RESULT + Manifest.FILE_NAME).readAllBytes()).path("jobId").asText())
                .isEqualTo("upload-1");
    }

    @Test
    void commitRun_ofAnotherRunOfTheSameVersion_removesThatRunsFiles() throws Exception {
        publisher.commitRun(RESULT, RUN, runManifest(Manifest.SUCCEEDED), new Version("etag-1", null), () -> true);
        String other = RESULT + "runs/upload-1-a2/";
        store.put(other + "scored/part-00000.csv", new byte[] {1}, "text/csv");

        Commit commit = publisher.commitRun(RESULT, other, runManifest(Manifest.SUCCEEDED),
                new Version("etag-1", null), () -> true);

        assertThat(commit).isEqualTo(Commit.DUPLICATE);
        assertThat(store.list(other)).isEmpty();
        assertThat(store.list(RUN)).isNotEmpty();
    }

    @Test
    void commitRun_ofAFailedRun_commitsItsManifestAndRemovesItsFolder() throws Exception {
        Commit commit = publisher.commitRun(RESULT, RUN, runManifest(Manifest.FAILED), new Version("etag-1", null),
                () -> true);

        assertThat(commit).isEqualTo(Commit.COMMITTED);
        assertThat(store.list(RUN)).isEmpty();
        assertThat(Json.MAPPER.readTree(store.open(RESULT + Manifest.FILE_NAME).readAllBytes()).path("status").asText())
                .isEqualTo("FAILED");
    }
}
