package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Any bytes after a valid snapshot header (this runtime's Spark and Scala versions, the digest of the
 * bundle's {@code pipeline/}), so every input reaches the deserializer and its filter: the reader
 * answers a usable snapshot or none, promptly; an exception, an error (out of memory, stack
 * overflow) or a hang is a finding. Seeds: PipelineSnapshotFuzzTestInputs/ in test resources
 * (serialized JDK values, a refused class, nested hash sets, an array declared larger than the file).
 */
class PipelineSnapshotFuzzTest {
    private static Path bundle;

    private static synchronized Path bundle() {
        if (bundle == null) {
            try {
                bundle = Files.createTempDirectory("mlserve-snapshot-fuzz");
                Files.createDirectories(bundle.resolve("pipeline/metadata"));
                Files.writeString(bundle.resolve("pipeline/metadata/part-00000"), "{\"class\":\"x\"}\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bundle;
    }

    @FuzzTest(maxDuration = "2m")
    void read(byte[] content) throws IOException {
        Path dir = bundle();
        try (OutputStream raw = Files.newOutputStream(dir.resolve(PipelineSnapshot.FILE))) {
            DataOutputStream header = new DataOutputStream(raw);
            header.writeUTF("mlserve-pipeline-snapshot");
            header.writeInt(PipelineSnapshot.FORMAT);
            header.writeUTF(PipelineSnapshot.sparkVersion());
            header.writeUTF(PipelineSnapshot.scalaVersion());
            header.writeUTF(PipelineSnapshot.digest(dir.resolve("pipeline")));
            header.flush();
            raw.write(content);
        }

        assertThat(PipelineSnapshot.read(dir)).isNotNull();
    }
}
