package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The built runner ({@code target/scoring-local.jar}) in a child JVM, as a developer runs it. */
public final class RunnerJar {
    private RunnerJar() {
    }

    /** Exit code, stdout (the command's JSON) and stderr (its logs). */
    public record Result(int code, String stdout, String stderr) {
        public JsonNode json() throws IOException {
            return Json.MAPPER.readTree(stdout);
        }
    }

    /** Runs {@code java -jar target/scoring-local.jar ARGS}; stderr goes through a file in {@code scratch}. */
    public static Result run(Path scratch, long timeoutSeconds, List<String> args) throws IOException,
            InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-jar", "target/scoring-local.jar"));
        command.addAll(args);
        Files.createDirectories(scratch);
        Path stderr = Files.createTempFile(scratch, "stderr", ".txt");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(timeoutSeconds, TimeUnit.SECONDS)).as("%s finished in time", args).isTrue();
        return new Result(p.exitValue(), stdout, Files.readString(stderr));
    }
}
