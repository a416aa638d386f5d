package dev.mlserve.functions.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleStore;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.fast.SampleRecords;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upload function's SnapStart hooks, called directly (org.crac is a no-op without CRaC). */
class UploadPrimingTest {
    private static final int SAMPLES = 60;

    @TempDir
    Path temp;
    private final BundleStore bundles = mock(BundleStore.class);
    private RecordingStore store;
    private UploadService service;

    @BeforeEach
    void setUp() throws IOException {
        Bundle parity = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
        Path withSamples = temp.resolve("bundles/with-samples/1");
        BundleFiles.copyTree(parity.directory(), withSamples);
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> r : ParityPipelines.records(SAMPLES, 42)) {
            lines.add(Json.MAPPER.writeValueAsString(r));
        }
        Files.write(withSamples.resolve(SampleRecords.FILE), lines);
        when(bundles.currentVersion("with-samples")).thenReturn("1");
        when(bundles.fetch("with-samples", "1")).thenReturn(new Bundle(parity.metadata(), withSamples));
        when(bundles.currentVersion("without-samples")).thenReturn("1");
        when(bundles.fetch("without-samples", "1")).thenReturn(parity);
        when(bundles.currentVersion("missing")).thenThrow(new ModelNotFoundException("unknown model 'missing'"));
        store = new RecordingStore(new LocalObjectStore(temp.resolve("bucket")));
        service = new UploadService(store, bundles, new SparkInlineScoring(TestSpark.session()), mock(Jobs.class),
                new UploadService.Settings(null, "models/", 1 << 20, temp.resolve("scratch")));
    }

    @Test
    void beforeCheckpoint_scoresEachPreloadedModelsSamplesAsCsvAndJsonLines_andWritesNothingToTheStore()
            throws IOException {
        UploadPriming priming = new UploadPriming(service, List.of("with-samples"));

        priming.beforeCheckpoint(null);

        assertThat(priming.primedRows()).as("every sample, once per format").isEqualTo(2 * SAMPLES);
        assertThat(store.writtenKeys()).isEmpty();
        try (Stream<Path> left = Files.list(temp.resolve("scratch"))) {
            assertThat(left).as("the priming scratch folder is removed").isEmpty();
        }
    }

    @Test
    void beforeCheckpoint_skipsModelsItCannotPrime_andPrimesTheRest() {
        UploadPriming priming = new UploadPriming(service, List.of("missing", "without-samples", "with-samples"));

        priming.beforeCheckpoint(null);

        assertThat(priming.primedRows()).isEqualTo(2 * SAMPLES);
    }

    @Test
    void afterRestore_keepsTheFunctionServing() throws Exception {
        UploadPriming priming = new UploadPriming(service, List.of());
        priming.beforeCheckpoint(null);

        priming.afterRestore(null);

        assertThat(priming.restores()).isEqualTo(1);
        assertThat(priming.primedRows()).isZero();
    }

    @Test
    void text_csvQuotesCellsThatNeedItAndLeavesNullsEmpty() throws IOException {
        String csv = UploadService.text(ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC).metadata().inputSchema(),
                List.of(new LinkedHashMap<>(Map.of("plan", "a,\"b\"", "tenure", 1.5))),
                FileFormat.CSV);

        assertThat(csv.lines().toList()).containsExactly("plan,region,tenure,charges,calls,autopay",
                "\"a,\"\"b\"\"\",,1.5,,,");
    }
}
