package dev.mlserve.scoring.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.scoring.error.BundleFormatException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBundleStoreTest {
    @TempDir
    Path root;

    private void version(String name, String version) throws IOException {
        Path dir = root.resolve(name).resolve(version);
        Files.createDirectories(dir.resolve(Bundle.PIPELINE_DIR));
        BundleFiles.writeMetadata(dir, new BundleMetadata(name, version, "3.5.6", "2026-11-25T00:00:00Z",
                List.of(new FieldSpec("x", FieldType.DOUBLE, true)), List.of("prediction"), Map.of()));
    }

    @Test
    void fetch_withoutVersionOrLatest_takesHighestNumericVersion() throws IOException {
        version("m", "2");
        version("m", "10");
        LocalBundleStore store = new LocalBundleStore(root);

        assertThat(store.fetch("m", null).metadata().version()).isEqualTo("10");
        assertThat(store.versions("m")).containsExactly("2", "10");
    }

    @Test
    void fetch_withLatest_takesThePinnedVersion() throws IOException {
        version("m", "2");
        version("m", "10");
        BundleFiles.writeLatest(root, "m", "2");

        assertThat(new LocalBundleStore(root).fetch("m", null).metadata().version()).isEqualTo("2");
    }

    @Test
    void currentVersion_whenLatestNamesAPathTrick_refusesIt() throws IOException {
        version("m", "1");
        Files.writeString(root.resolve("m/LATEST"), "../../etc\n");

        assertThatThrownBy(() -> new LocalBundleStore(root).currentVersion("m"))
                .isInstanceOf(BundleFormatException.class).hasMessageContaining("not a valid version");
    }

    @Test
    void fetch_unknownModelOrVersionOrBadName_isModelNotFound() throws IOException {
        version("m", "1");
        LocalBundleStore store = new LocalBundleStore(root);

        assertThatThrownBy(() -> store.fetch("nope", null)).isInstanceOf(ModelNotFoundException.class);
        assertThatThrownBy(() -> store.fetch("m", "9")).isInstanceOf(ModelNotFoundException.class);
        assertThatThrownBy(() -> store.fetch("../m", null)).isInstanceOf(ModelNotFoundException.class);
    }
}
