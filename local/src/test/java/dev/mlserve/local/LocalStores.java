package dev.mlserve.local;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.testing.ParityPipelines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Local stores for the emulator's tests: the events' model "churn" is the parity suite's one-hot + LR pipeline. */
public final class LocalStores {
    private LocalStores() {
    }

    /** A fresh store with {@code models/churn/1} (the schema of the sample events) and the objects of events/bucket/. */
    public static Path withEventsModel(Path store) throws IOException {
        Bundle source = ParityPipelines.bundle(ParityPipelines.Kind.ONE_HOT_LOGISTIC);
        Path version = store.resolve("models/churn/1");
        copy(source.directory(), version);
        BundleMetadata m = source.metadata();
        BundleFiles.writeMetadata(version, new BundleMetadata("churn", "1", m.sparkVersion(), m.createdAt(),
                m.inputSchema(), m.outputs(), m.metrics()));
        copy(Path.of("../events/bucket"), store);
        return store;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
