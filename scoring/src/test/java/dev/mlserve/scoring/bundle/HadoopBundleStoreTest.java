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
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopBundleStoreTest {
    private final Configuration conf = new Configuration();

    @TempDir
    Path root;

    @Test
    void fetch_withoutVersionOrLatest_picksHighestNumericVersionWithBundleJson() throws IOException {
        bundle("churn", "2");
        bundle("churn", "10");
        bundle("churn", "9");
        Files.createDirectories(root.resolve("churn/11/pipeline"));

        HadoopBundle bundle = store().fetch("churn", null);

        assertThat(bundle.metadata().version()).isEqualTo("10");
        assertThat(bundle.uri()).startsWith("file:").endsWith(root.resolve("churn/10").toString());
        assertThat(bundle.pipelineUri()).isEqualTo(bundle.uri() + "/pipeline");
    }

    @Test
    void fetch_withLatestFile_picksTheVersionItNames() throws IOException {
        bundle("churn", "2");
        bundle("churn", "10");
        Files.writeString(root.resolve("churn/LATEST"), "2\n");

        assertThat(store().fetch("churn", null).metadata().version()).isEqualTo("2");
    }

    @Test
    void fetch_withExplicitVersion_ignoresLatest() throws IOException {
        bundle("churn", "2");
        bundle("churn", "10");
        Files.writeString(root.resolve("churn/LATEST"), "2\n");

        assertThat(store().fetch("churn", "10").metadata().version()).isEqualTo("10");
    }

    @Test
    void fetch_unknownModelOrVersion_throwsModelNotFound() throws IOException {
        bundle("churn", "1");

        assertThatThrownBy(() -> store().fetch("fraud", null)).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("fraud");
        assertThatThrownBy(() -> store().fetch("churn", "7")).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("'7'");
        assertThatThrownBy(() -> store().fetch("../etc", null)).isInstanceOf(ModelNotFoundException.class);
    }

    @Test
    void open_folderWithoutPipeline_throwsBundleFormat() throws IOException {
        Path dir = bundle("churn", "1");
        Files.delete(dir.resolve("pipeline"));

        assertThatThrownBy(() -> HadoopBundleStore.open(conf, dir.toString()))
                .isInstanceOf(BundleFormatException.class).hasMessageContaining("pipeline");
    }

    @Test
    void open_plainPathWithTrailingSlash_answersQualifiedUri() throws IOException {
        Path dir = bundle("churn", "3");

        HadoopBundle bundle = HadoopBundleStore.open(conf, dir + "/");

        assertThat(bundle.uri()).startsWith("file:").endsWith("/churn/3");
        assertThat(bundle.metadata().name()).isEqualTo("churn");
    }

    private HadoopBundleStore store() {
        return new HadoopBundleStore(conf, root.toUri().toString());
    }

    private Path bundle(String name, String version) throws IOException {
        Path dir = root.resolve(name).resolve(version);
        Files.createDirectories(dir.resolve("pipeline"));
        BundleMetadata metadata = new BundleMetadata(name, version, "3.5.6", "2026-11-25T06:00:00Z",
                List.of(new FieldSpec("plan", FieldType.STRING, false)), List.of("prediction"), Map.of());
        BundleFiles.writeMetadata(dir, metadata);
        return dir;
    }
}
