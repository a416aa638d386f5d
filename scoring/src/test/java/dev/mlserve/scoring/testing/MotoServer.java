package dev.mlserve.scoring.testing;

import dev.mlserve.scoring.store.S3Clients;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * A real {@code moto_server} on a free 127.0.0.1 port, for tests of the real SDK v2 clients.
 *
 * <p>One server per test JVM: {@link #shared()} starts it on first use and a shutdown hook stops
 * it. In JUnit 5, {@code @ExtendWith(MotoServer.Extension.class)} injects that instance into
 * test constructors and {@code @BeforeAll}/{@code @Test} methods. Tests share the server, so each
 * should use its own bucket names. When moto is not installed this fails (never skips) and says
 * how to install it.
 */
public final class MotoServer implements AutoCloseable {
    public static final String ACCESS_KEY = "test";
    public static final String SECRET_KEY = "test";
    public static final Region REGION = Region.US_EAST_1;

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String INSTALL_HINT =
            "moto_server is needed by this test: install it with  pip install 'moto[server]'";
    private static MotoServer shared;

    private final Process process;
    private final URI endpoint;
    private final Path log;

    private MotoServer(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    /** The server of this test JVM, started on first call and stopped when the JVM exits. */
    public static synchronized MotoServer shared() {
        if (shared == null) {
            MotoServer server = start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "moto-server-stop"));
            shared = server;
        }
        return shared;
    }

    /** A server of its own; the caller closes it. */
    public static MotoServer start() {
        List<String> command = command();
        ExitedEarlyException failure = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                return start(command, freePort());
            } catch (ExitedEarlyException e) {
                // most often the free port was taken between probing and binding: try another
                failure = e;
            }
        }
        throw failure;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return endpoint;
    }

    public AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** A builder the way production builds clients (S3Clients), pointed here: add interceptors, then build. */
    public S3ClientBuilder s3ClientBuilder() {
        return S3Clients.builder(S3Clients.Settings.forEmulator(endpoint)).credentialsProvider(credentials());
    }

    public S3Client s3Client() {
        return s3ClientBuilder().build();
    }

    /** Stops the server process (and anything it started). */
    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // a leftover log in the temp folder is harmless
        }
    }

    private static MotoServer start(List<String> command, int port) {
        Path log;
        try {
            log = Files.createTempFile("moto-server-" + port + "-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> full = new ArrayList<>(command);
        full.addAll(List.of("-H", "127.0.0.1", "-p", Integer.toString(port)));
        Process process;
        try {
            process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException(INSTALL_HINT + " (cannot run " + String.join(" ", full) + ": "
                    + e.getMessage() + ")", e);
        }
        MotoServer server = new MotoServer(process, URI.create("http://127.0.0.1:" + port), log);
        server.awaitReady(String.join(" ", full));
        return server;
    }

    private void awaitReady(String commandLine) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new ExitedEarlyException(commandLine + " exited with " + process.exitValue() + ": " + logTail());
            }
            try {
                http.send(HttpRequest.newBuilder(endpoint.resolve("/moto-api/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    close();
                    throw new IllegalStateException("interrupted while waiting for moto_server", interrupted);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("interrupted while waiting for moto_server", e);
            }
        }
        String tail = logTail();
        close();
        throw new IllegalStateException(commandLine + " did not answer on " + endpoint + " within "
                + START_TIMEOUT.toSeconds() + "s: " + tail);
    }

    /** moto_server from PATH, else {@code python3 -m moto.server}; fails with the install hint. */
    private static List<String> command() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "moto_server"))) {
                return List.of(Path.of(dir, "moto_server").toString());
            }
        }
        try {
            Process probe = new ProcessBuilder("python3", "-c", "import moto.server")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                return List.of("python3", "-m", "moto.server");
            }
            probe.destroyForcibly();
        } catch (IOException e) {
            // no python3 either
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException(INSTALL_HINT + " (neither moto_server on PATH nor python3 -m moto.server works)");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static final class ExitedEarlyException extends IllegalStateException {
        ExitedEarlyException(String message) {
            super(message);
        }
    }

    /** JUnit 5: injects {@link #shared()} wherever a {@code MotoServer} parameter is declared. */
    public static final class Extension implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == MotoServer.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return shared();
        }
    }
}
