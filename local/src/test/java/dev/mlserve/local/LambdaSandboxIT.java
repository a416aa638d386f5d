package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.testing.ParityPipelines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code predict} from the built jar the way AWS Lambda runs a function: as a uid with no
 * /etc/passwd entry (Hadoop's user lookup fails there unless the login user is set explicitly),
 * with an unwritable HOME, and with only a scratch folder writable.
 */
class LambdaSandboxIT {
    private static final int SANDBOX_UID = 993;

    @Test
    void predict_asUidWithoutPasswdEntryAndUnwritableHome_answersPredictions() throws Exception {
        assumeTrue(run(List.of("id", "-u")).strip().equals("0"), "needs root to switch uid with setpriv");
        assertThat(run(List.of("sh", "-c", "getent passwd " + SANDBOX_UID + " || true")).strip())
                .as("uid %d must have no passwd entry for this test to mean anything", SANDBOX_UID).isEmpty();

        Path base = Files.createTempDirectory("mlserve-sandbox");
        Path app = base.resolve("app");
        Files.createDirectories(app);
        Files.copy(Path.of("target/scoring-local.jar"), app.resolve("scoring-local.jar"));
        run(List.of("cp", "-r", "target/lib", app.toString()));
        Bundle bundle = ParityPipelines.bundle(ParityPipelines.Kind.ONE_HOT_LOGISTIC);
        run(List.of("cp", "-r", bundle.directory().toString(), base.resolve("bundle").toString()));
        Path request = base.resolve("request.json");
        Files.writeString(request, Json.MAPPER.writeValueAsString(Map.of("records", ParityPipelines.records(3, 1))));
        Path scratch = base.resolve("tmp");
        Files.createDirectories(scratch);
        run(List.of("chmod", "-R", "a+rX", base.toString()));
        run(List.of("chown", SANDBOX_UID + ":" + SANDBOX_UID, scratch.toString()));
        run(List.of("chmod", "700", scratch.toString()));

        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=" + SANDBOX_UID, "--regid=" + SANDBOX_UID,
                "--clear-groups", "env", "-i", "HOME=/nonexistent", "PATH=/usr/bin:/bin", "MLSERVE_SCRATCH_DIR=" + scratch,
                java, "-Djava.io.tmpdir=" + scratch, "-Xmx1g", "-jar", app.resolve("scoring-local.jar").toString(),
                "predict", "--bundle", base.resolve("bundle").toString(), "--input", request.toString());
        pb.redirectError(base.resolve("stderr.txt").toFile());
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(Files.readString(base.resolve("stderr.txt"))).isZero();
        JsonNode body = Json.MAPPER.readTree(stdout);
        assertThat(body.get("predictions")).hasSize(3);
        assertThat(body.get("model").asText()).isEqualTo("one-hot-logistic");
        run(List.of("rm", "-rf", base.toString()));
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(command + " failed: " + out);
        }
        return out;
    }
}
