package dev.mlserve.local.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The local API's guards, over real sockets, with a function that only counts its calls: Host,
 * Content-Type, body size (declared and chunked), a client that stops sending, and Nagle.
 */
class ApiServerTest {
    private static final long LIMIT = 1_000;
    private static final AtomicInteger CALLS = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ApiServer server;

    @BeforeAll
    static void start() throws IOException {
        // The JDK server reads its settings once per JVM; a short request time keeps the slow-client
        // test short and shows a value the user set is kept. The other settings are the server's own.
        System.setProperty("sun.net.httpserver.maxReqTime", "1");
        RouteTable routes = new RouteTable(List.of(new RouteTable.Route("Fn", "POST", "/models/{model}/predict"),
                new RouteTable.Route("Fn", "GET", "/models/{model}")));
        server = ApiServer.start(0, routes, Map.of("Fn", new ApiServer.ApiFunction("Fn", 30, 512, (event, context) -> {
            CALLS.incrementAndGet();
            return new APIGatewayProxyResponseEvent().withStatusCode(200)
                    .withBody("{\"bytes\":" + (event.getBody() == null ? 0 : event.getBody().length()) + "}");
        })), "Prod", LIMIT);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void serverDefaults_setTheSlowClientBoundsAndNodelay_butKeepWhatTheUserSet() {
        Properties properties = new Properties();
        properties.setProperty("sun.net.httpserver.maxReqTime", "5");

        ApiServer.serverDefaults(properties);

        assertThat(properties).containsEntry("sun.net.httpserver.maxReqTime", "5")
                .containsEntry("sun.net.httpserver.maxRspTime", "30")
                .containsEntry("sun.net.httpserver.idleInterval", "30")
                .containsEntry("sun.net.httpserver.nodelay", "true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "LOCALHOST", "127.0.0.1", "[::1]"})
    void request_withALocalHostAndThisPort_isAnswered(String name) throws IOException {
        String answer = raw("GET /models/churn HTTP/1.1\r\nHost: " + name + ":" + server.port()
                + "\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200");
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil.example:%d", "evil.example", "127.0.0.1:1", "localhost.evil.example:%d", ""})
    void request_withAnotherHost_answers421WithoutCallingTheFunction(String host) throws IOException {
        int before = CALLS.get();
        String header = host.isEmpty() ? "" : "Host: " + host.formatted(server.port()) + "\r\n";

        String answer = raw("POST /models/churn/predict HTTP/1.1\r\n" + header
                + "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");

        assertThat(answer).startsWith("HTTP/1.1 421").contains("\"message\"")
                .contains("use localhost, 127.0.0.1 or [::1] with port " + server.port());
        assertThat(CALLS.get()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x"})
    void post_withAContentTypeABrowserSendsWithoutAsking_answers415LikeTheFunction(String contentType)
            throws Exception {
        int before = CALLS.get();

        HttpResponse<String> response = post(contentType, "{\"records\":[]}");

        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(response.body()).contains("\"error\"").contains("send application/json or text/csv")
                .contains("\"requestId\"");
        assertThat(CALLS.get()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "text/csv; charset=utf-8"})
    void post_jsonOrCsv_reachesTheFunction(String contentType) throws Exception {
        HttpResponse<String> response = post(contentType, "{\"records\":[]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"bytes\":14}");
    }

    @Test
    void post_declaringABodyOverTheLimit_answers413BeforeTheBodyIsSent() throws IOException {
        String answer = raw("POST /models/churn/predict HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 413").contains("limit of " + LIMIT + " bytes");
    }

    @Test
    void post_chunkedBodyOverTheLimit_answers413() throws IOException {
        String chunk = "x".repeat(600);
        String chunked = Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n";

        String answer = raw("POST /models/churn/predict HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + chunked.repeat(2) + "0\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 413");
    }

    @Test
    void post_bodyOfExactlyTheLimit_reachesTheFunction() throws Exception {
        HttpResponse<String> response = post("application/json", "x".repeat((int) LIMIT));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"bytes\":" + LIMIT + "}");
    }

    @Test
    void client_thatSendsPartOfItsHeadersAndStops_isDisconnected() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("POST /models/churn/predict HTTP/1.1\r\nHost: 127.0.0.1:"
                        + server.port() + "\r\n").getBytes(StandardCharsets.US_ASCII));
                long started = System.nanoTime();
                int read;
                try {
                    read = socket.getInputStream().read();
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the server still holds the connection after 10 s", e);
                } catch (IOException reset) {
                    read = -1;
                }
                assertThat(read).isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
            }
        });
    }

    @Test
    void warmRequests_areNotHeldBackByNagle() throws Exception {
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            long started = System.nanoTime();
            HttpResponse<String> response = post("application/json", "{\"records\":[]}");
            micros.add((System.nanoTime() - started) / 1_000);
            assertThat(response.statusCode()).isEqualTo(200);
        }

        // With Nagle on, each answer's body waits out the client's delayed ACK: about 40 ms.
        assertThat(micros.stream().sorted().toList().get(10)).isLessThan(25_000L);
    }

    private static HttpResponse<String> post(String contentType, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/models/churn/predict"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends the bytes as they are (HttpClient will not send another Host) and reads the answer to its end. */
    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    answer.write(buffer, 0, n);
                    if (answer.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n") && !request.contains(
                            "Connection: close") && complete(answer.toString(StandardCharsets.US_ASCII))) {
                        break;
                    }
                }
            } catch (IOException reset) {
                // The server may close before reading what it refused; the answer came first.
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    /** True when the answer's Content-Length bytes have arrived after its headers. */
    private static boolean complete(String answer) {
        int end = answer.indexOf("\r\n\r\n");
        String headers = answer.substring(0, end).toLowerCase();
        int at = headers.indexOf("content-length:");
        if (at < 0) {
            return true;
        }
        int length = Integer.parseInt(headers.substring(at + 15).lines().findFirst().orElse("0").strip());
        return answer.length() - end - 4 >= length;
    }
}
