package dev.mlserve.local.invoke;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The java command of a function's JVM: this JVM's java and classpath, the shared
 * {@code --add-opens} list (scoring's {@code mlserve/add-opens.txt}), and the flags the Lambda
 * Java runtime starts functions with: heap at 85% of the function's memory, C1 only.
 */
final class ChildJvm {
    private ChildJvm() {
    }

    static List<String> command(int memoryMb) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("-Xmx" + Math.max(256, memoryMb * 85 / 100) + "m");
        command.add("-XX:+TieredCompilation");
        command.add("-XX:TieredStopAtLevel=1");
        for (String module : addOpens()) {
            command.add("--add-opens=" + module + "=ALL-UNNAMED");
        }
        command.add("-cp");
        command.add(classpath());
        return command;
    }

    private static String classpath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static List<String> addOpens() {
        try (InputStream in = ChildJvm.class.getResourceAsStream("/mlserve/add-opens.txt")) {
            if (in == null) {
                throw new IllegalStateException("scoring's mlserve/add-opens.txt is not on the classpath");
            }
            return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
