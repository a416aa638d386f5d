package dev.mlserve.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.mlserve.functions.emr.EmrClients;
import dev.mlserve.functions.emr.EmrServerlessLauncher;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.ThrottledException;
import dev.mlserve.functions.s3.S3ObjectStore;
import dev.mlserve.scoring.store.S3Clients;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Faults of S3 and EMR Serverless, injected by a scripted HTTP endpoint in place of the service,
 * through the real SDK clients as production builds them (their retries and call timeouts): what
 * each fault becomes for the code above, and that the answer comes within a bound.
 */
class FaultsIT {
    private static final StaticCredentialsProvider CREDENTIALS = StaticCredentialsProvider.create(
            AwsBasicCredentials.create("test", "test"));
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    /** An endpoint answering every request with the given status, headers and body, after a delay. */
    private URI endpoint(int status, Map<String, String> headers, String body, Duration delay) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
            exchange.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static S3ObjectStore s3(URI endpoint) {
        S3Client client = S3Clients.builder(S3Clients.Settings.forEmulator(endpoint)).credentialsProvider(CREDENTIALS)
                .build();
        return new S3ObjectStore(client, "bucket");
    }

    private static EmrServerlessLauncher emr(URI endpoint) {
        EmrServerlessClient client = EmrClients.builder(Region.US_EAST_1, endpoint).credentialsProvider(CREDENTIALS)
                .build();
        return new EmrServerlessLauncher(client, new EmrServerlessLauncher.Settings("00app", "arn:aws:iam::1:role/r",
                "s3://bucket/jars/emr-jobs.jar", null, 60, 4, "14g"));
    }

    private static BatchJob job() {
        return new BatchJob("job-1", "s3://bucket/models/churn/1", "s3://bucket/staging/job-1/input.csv", "csv",
                "s3://bucket/scored/churn/a.csv", "etag", "token-1", Map.of("model", "churn"));
    }

    @Test
    void s3AccessDenied_isARealFault_thatPropagatesAtOnceWithoutRetries() throws Exception {
        S3ObjectStore store = s3(endpoint(403, Map.of("Content-Type", "application/xml"),
                "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", Duration.ZERO));

        assertThatThrownBy(() -> store.read("jobs/job-1.json"))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
        assertThat(requests.get()).as("access denied is not retried").isEqualTo(1);
    }

    @Test
    void s3SlowDown_isRetriedBySdkWithBackoffThenFails() throws Exception {
        S3ObjectStore store = s3(endpoint(503, Map.of("Content-Type", "application/xml"),
                "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
                Duration.ZERO));

        assertThatThrownBy(() -> store.read("jobs/job-1.json"))
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(503));
        assertThat(requests.get()).as("the SDK's own bounded retries").isBetween(2, 10);
    }

    @Test
    void s3Unreachable_failsAsAClientError_quickly() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        S3ObjectStore store = s3(URI.create("http://127.0.0.1:" + closed));
        long started = System.nanoTime();

        assertThatThrownBy(() -> store.head("incoming/churn/a.csv")).isInstanceOf(SdkClientException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void emrThrottling_isRetriedWithBoundedBackoff_thenAnsweredAsThrottled() throws Exception {
        EmrServerlessLauncher launcher = emr(endpoint(429, Map.of("Content-Type", "application/json",
                "x-amzn-ErrorType", "ThrottlingException"), "{\"message\":\"Rate exceeded\"}", Duration.ZERO));

        assertThatThrownBy(() -> launcher.start(job())).isInstanceOf(ThrottledException.class);
        assertThat(requests.get()).as("retried, but not forever").isBetween(2, 40);
    }

    @Test
    void emrSlowPastTheCallTimeout_failsWithinTheClientsBound() throws Exception {
        EmrServerlessLauncher launcher = emr(endpoint(200, Map.of("Content-Type", "application/json"),
                "{\"applicationId\":\"00app\",\"jobRunId\":\"r1\",\"arn\":\"a\"}", Duration.ofSeconds(60)));
        long started = System.nanoTime();

        assertThatThrownBy(() -> launcher.start(job())).satisfies(e -> {
            boolean timedOut = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                timedOut |= t instanceof ApiCallTimeoutException;
            }
            assertThat(timedOut).as(e.toString()).isTrue();
        });
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as("the call timeout bounds a stuck submit").isLessThan(EmrClients.API_CALL_TIMEOUT
                .plusSeconds(5));
    }
}
