package dev.mlserve.functions.emr;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.jobs.StoreJobs;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default with no AWS at all: a local folder as the bucket, batch jobs run by
 * LocalBatchLauncher on the local SparkSession, recorded by StoreJobs.
 */
class EmbeddedDefaultIT {
    private static final String MODEL = "forest";

    private final SparkSession spark = TestSpark.session();
    @TempDir
    Path temp;
    private LocalObjectStore store;
    private LocalBatchLauncher launcher;
    private StoreJobs jobs;

    @BeforeEach
    void setUp() throws IOException {
        store = new LocalObjectStore(temp.resolve("local-store"));
        BundleFiles.copyTree(ParityPipelines.bundle(Kind.IMPUTER_FOREST).directory(),
                store.root().resolve("models/" + MODEL + "/1"));
        launcher = new LocalBatchLauncher(spark);
        jobs = new StoreJobs(store, launcher, "local");
        launcher.onRunEnded(jobs::runEnded);
    }

    @AfterEach
    void tearDown() {
        launcher.close();
    }

    private BatchJob job(String jobId, String inputKey, String format) {
        return new BatchJob(jobId, store.uri("models/" + MODEL + "/1"), store.uri(inputKey), format,
                store.uri("scored/" + MODEL + "/" + jobId), null, "token-" + jobId, Map.of("model", MODEL));
    }

    private JobStatus awaitTerminal(String jobId) throws InterruptedException {
        assertThat(launcher.awaitIdle(Duration.ofMinutes(3))).as("local run finished in time").isTrue();
        return jobs.status(jobId).orElseThrow();
    }

    @Test
    void largeRequest_runsToSuccessInProcess_andItsOutputEqualsInlinePredictExactly() throws Exception {
        List<Map<String, Object>> records = ParityPipelines.records(60, 31);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> withId = new LinkedHashMap<>();
            withId.put("id", i);
            withId.putAll(records.get(i));
            lines.add(Json.MAPPER.writeValueAsString(withId));
        }
        lines.add("{\"id\": 60, \"plan\": \"basic\", \"tenure\": \"long\"}");
        store.put("staging/job-e2e/records.jsonl", String.join("\n", lines).getBytes(StandardCharsets.UTF_8),
                "application/x-ndjson");

        JobStatus submitted = jobs.submit(job("job-e2e", "staging/job-e2e/records.jsonl", "jsonl"), MODEL, "1",
                "61 records > inline limit of 50");
        JobStatus done = awaitTerminal("job-e2e");

        assertThat(submitted.state()).isEqualTo("SUBMITTED");
        assertThat(done.state()).isEqualTo("SUCCESS");
        assertThat(done.rowsIn()).isEqualTo(61);
        assertThat(done.rowsScored()).isEqualTo(60);
        assertThat(done.rowsRejected()).isEqualTo(1);
        Bundle bundle = new LocalBundleStore(store.root().resolve("models")).fetch(MODEL, "1");
        PipelineScorer scorer = PipelineScorer.load(spark, bundle);
        List<Map<String, Object>> inline = scorer.predict(records, null);
        String run = "scored/" + MODEL + "/job-e2e/runs/job-e2e/";
        Map<Integer, Map<String, Object>> batch = scoredById(run + "scored/");
        assertThat(batch).hasSize(60);
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> row = batch.get(i);
            Map<String, Object> outputs = new LinkedHashMap<>();
            scorer.defaultOutputs().forEach(c -> outputs.put(c, row.get(c)));
            assertThat(Parity.exact(outputs)).as("record %d", i).isEqualTo(Parity.exact(inline.get(i)));
        }
        String manifest = new String(store.open("scored/" + MODEL + "/job-e2e/_manifest.json").readAllBytes(),
                StandardCharsets.UTF_8);
        JsonNode written = Json.MAPPER.readTree(manifest);
        assertThat(written.path("route").asText()).isEqualTo("batch");
        assertThat(written.path("routeReason").asText()).isEqualTo("61 records > inline limit of 50");
        assertThat(written.path("jobId").asText()).isEqualTo("job-e2e");
        assertThat(written.path("output").path("scored").asText()).isEqualTo(store.uri(run + "scored/"));
        assertThat(written.path("output").path("rejected").asText()).isEqualTo(store.uri(run + "rejected.jsonl"));
        assertThat(store.list("scored/" + MODEL + "/job-e2e/")).contains(run + "rejected.jsonl")
                .allMatch(k -> k.startsWith(run) || k.equals("scored/" + MODEL + "/job-e2e/_manifest.json"));
        assertThat(store.list("staging/")).as("the staged records go once the result is committed").isEmpty();
    }

    @Test
    void unusableInput_endsFailedWithTheManifestsReason_andARepeatedTokenStartsNothingNew() throws Exception {
        store.put("incoming/" + MODEL + "/no-plan.csv", "tenure,charges\n1.0,2.0\n".getBytes(StandardCharsets.UTF_8),
                "text/csv");
        BatchJob job = job("job-bad", "incoming/" + MODEL + "/no-plan.csv", "csv");

        jobs.submit(job, MODEL, "1", "test");
        String firstRun = launcher.start(job);
        JobStatus done = awaitTerminal("job-bad");

        assertThat(firstRun).isEqualTo("local-job-bad");
        assertThat(done.state()).isEqualTo("FAILED");
        assertThat(done.error()).contains("plan");
        assertThat(launcher.state("local-job-bad").state()).isEqualTo("FAILED");
        assertThat(launcher.state("local-unknown").details()).contains("not known to this process");
    }

    private Map<Integer, Map<String, Object>> scoredById(String prefix) throws IOException {
        Map<Integer, Map<String, Object>> byId = new LinkedHashMap<>();
        for (String key : store.list(prefix)) {
            if (!key.endsWith(".jsonl")) {
                continue;
            }
            try (InputStream in = store.open(key)) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank()) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> row = Json.MAPPER.readValue(line, LinkedHashMap.class);
                        byId.put(((Number) row.get("id")).intValue(), row);
                    }
                }
            }
        }
        return byId;
    }
}
