package dev.mlserve.functions.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.s3.S3ObjectStore;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.S3BundleStore;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.store.S3Clients;
import dev.mlserve.scoring.testing.MotoServer;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The upload function over moto_server when S3 fails while an upload is processed: the handler
 * throws (so Lambda retries the event), the uploaded object is untouched, no manifest claims a
 * result, and the retry, once S3 answers again, scores the file. Faults are injected by a proxy in
 * front of moto that passes requests through or refuses the writes with S3's AccessDenied.
 */
@ExtendWith(MotoServer.Extension.class)
class UploadFaultsIT {
    private static final String MODEL = "one-hot-logistic";
    private static final String KEY = "incoming/" + MODEL + "/customers.csv";
    private static final String CSV = "id,plan,region,tenure,charges,calls,autopay\n1,basic,north,12.5,40.0,2,true\n";
    private static final Set<String> HOP = Set.of("host", "content-length", "connection", "expect",
            "transfer-encoding", "upgrade");

    @TempDir
    Path temp;
    private S3Client direct;
    private String bucket;
    private HttpServer proxy;
    private volatile boolean denyWrites;
    private final HttpClient forward = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void bucket(MotoServer moto) throws Exception {
        direct = moto.s3Client();
        bucket = "upload-faults-" + UUID.randomUUID();
        direct.createBucket(b -> b.bucket(bucket));
        Bundle bundle = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
        try (Stream<Path> files = Files.walk(bundle.directory())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String key = "models/" + MODEL + "/1/" + bundle.directory().relativize(f).toString().replace('\\', '/');
                direct.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(f));
            }
        }
        direct.putObject(b -> b.bucket(bucket).key(KEY), RequestBody.fromString(CSV));
        proxy = proxyTo(moto.endpoint());
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.stop(0);
        }
    }

    /** Forwards every request to moto, except writes (PUT, POST, DELETE) while denyWrites: 403 AccessDenied. */
    private HttpServer proxyTo(URI target) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try {
                handle(exchange, target);
            } catch (Exception e) {
                exchange.sendResponseHeaders(502, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
        return server;
    }

    private void handle(HttpExchange exchange, URI target) throws Exception {
        String method = exchange.getRequestMethod();
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        if (denyWrites && !method.equals("GET") && !method.equals("HEAD")) {
            byte[] denied = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/xml");
            exchange.sendResponseHeaders(403, denied.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(denied);
            }
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery())))
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase())) {
                values.forEach(v -> request.header(name, v));
            }
        });
        HttpResponse<byte[]> response = forward.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        response.headers().map().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase()) && !name.startsWith(":")) {
                values.forEach(v -> exchange.getResponseHeaders().add(name, v));
            }
        });
        if (method.equals("HEAD")) { // the object's size: a HEAD answer has no body to count
            response.headers().firstValue("content-length")
                    .ifPresent(v -> exchange.getResponseHeaders().add("Content-Length", v));
        }
        boolean empty = method.equals("HEAD") || response.body().length == 0;
        exchange.sendResponseHeaders(response.statusCode(), empty ? -1 : response.body().length);
        if (!empty) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        }
    }

    private UploadHandler handler(URI endpoint, MotoServer moto) {
        S3Client s3 = S3Clients.builder(S3Clients.Settings.forEmulator(endpoint)).credentialsProvider(moto.credentials())
                .build();
        S3ObjectStore store = new S3ObjectStore(s3, bucket);
        return new UploadHandler(new UploadService(store, new S3BundleStore(s3, bucket, "models/", temp.resolve("cache")),
                new SparkInlineScoring(TestSpark.session()), mock(Jobs.class),
                new UploadService.Settings(bucket, "models/", 1 << 20, temp.resolve("scratch"))));
    }

    private S3Event event() throws IOException {
        String etag = direct.headObject(b -> b.bucket(bucket).key(KEY)).eTag().replace("\"", "");
        JsonNode event;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("events/s3-put-incoming.json")) {
            event = Json.MAPPER.readTree(in);
        }
        JsonNode s3 = event.path("Records").get(0).path("s3");
        ((ObjectNode) s3.path("bucket")).put("name", bucket).put("arn", "arn:aws:s3:::" + bucket);
        ((ObjectNode) s3.path("object")).put("key", KEY).put("eTag", etag).put("size", CSV.length());
        Path file = Files.createTempFile(temp, "s3-event-", ".json");
        Json.MAPPER.writeValue(file.toFile(), event);
        return EventLoader.loadS3Event(file.toString());
    }

    private List<String> keys(String prefix) {
        return direct.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    private String text(String key) {
        return direct.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String();
    }

    @Test
    void writesDeniedWhileScoring_failTheEventForARetry_leaveTheInputAndNoManifest_andTheRetryScores(MotoServer moto)
            throws Exception {
        URI endpoint = URI.create("http://127.0.0.1:" + proxy.getAddress().getPort());
        UploadHandler handler = handler(endpoint, moto);
        S3Event event = event();
        String etag = direct.headObject(b -> b.bucket(bucket).key(KEY)).eTag();
        denyWrites = true;

        assertThatThrownBy(() -> handler.handleRequest(event, null))
                .as("a fault of the store is not a refusal: Lambda retries the event")
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));

        assertThat(text(KEY)).isEqualTo(CSV);
        assertThat(direct.headObject(b -> b.bucket(bucket).key(KEY)).eTag()).isEqualTo(etag);
        assertThat(keys("scored/")).as("nothing claims a result").isEmpty();

        denyWrites = false;
        String answer = handler.handleRequest(event, null);

        assertThat(answer).contains("SCORED_INLINE");
        JsonNode manifest = Json.MAPPER.readTree(text("scored/" + MODEL + "/customers.csv/_manifest.json"));
        assertThat(manifest.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(manifest.path("rowsScored").asLong()).isEqualTo(1);
        assertThat(keys("incoming/")).containsExactly(KEY);
    }

    @Test
    void storeUnreachable_failsTheEventPromptly_andWritesNothing(MotoServer moto) throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        UploadHandler handler = handler(URI.create("http://127.0.0.1:" + closed), moto);
        S3Event event = event();
        long started = System.nanoTime();

        assertThatThrownBy(() -> handler.handleRequest(event, null)).isInstanceOf(SdkClientException.class);

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
        assertThat(text(KEY)).isEqualTo(CSV);
        assertThat(keys("scored/")).isEmpty();
        assertThat(keys("staging/")).isEmpty();
    }
}
