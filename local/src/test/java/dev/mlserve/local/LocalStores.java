package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.testing.ParityPipelines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Local stores for the emulator's tests. */
public final class LocalStores {
    private static Path demoModels;

    private LocalStores() {
    }

    /**
     * A fresh store as {@code demo} makes it: {@code models/churn/1} is the demo bundle, trained by
     * the built runner's {@code train --demo} (as {@code demo} trains it; once per test JVM, then
     * copied), plus the objects of events/bucket/ that the sample S3 events announce. The sample
     * events of events/ are written for this bundle.
     */
    public static Path withDemoBundle(Path store) throws IOException, InterruptedException {
        BundleFiles.copyTree(demoModels(), store.resolve("models"));
        BundleFiles.copyTree(Path.of("../events/bucket"), store);
        return store;
    }

    private static synchronized Path demoModels() throws IOException, InterruptedException {
        if (demoModels == null) {
            Path dir = Files.createTempDirectory("mlserve-demo-bundle");
            Path models = dir.resolve("models");
            RunnerJar.Result r = RunnerJar.run(dir, 600, List.of("train", "--demo", "--out", models.toString()));
            assertThat(r.code()).as(r.stderr()).isZero();
            demoModels = models;
        }
        return demoModels;
    }

    /**
     * A fresh store with {@code models/churn/1} as the parity suite's one-hot + logistic regression
     * pipeline (columns plan, region, tenure, charges, calls, autopay), for tests that send their own
     * records of that shape.
     */
    public static Path withParityModel(Path store) throws IOException {
        Bundle source = ParityPipelines.bundle(ParityPipelines.Kind.ONE_HOT_LOGISTIC);
        Path version = store.resolve("models/churn/1");
        BundleFiles.copyTree(source.directory(), version);
        BundleMetadata m = source.metadata();
        BundleFiles.writeMetadata(version, new BundleMetadata("churn", "1", m.sparkVersion(), m.createdAt(),
                m.inputSchema(), m.outputs(), m.metrics()));
        return store;
    }

}
