package dev.mlserve.local.bench;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.mlserve.local.lambda.LocalContext;
import dev.mlserve.local.serve.ServeCommand;
import dev.mlserve.scoring.bundle.Bundle;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load through {@code serve}: the same emulator {@code serve} starts (API over loopback HTTP, the
 * API function in this JVM), driven by several concurrent clients for a fixed time with one-record
 * predict requests; against the same clients calling the API handler directly for the same time
 * (no HTTP), so the ratio is what the local server adds. Every answer must be a 200.
 */
final class LoadRun {
    /** The figures of one side: requests per second, latency percentiles (ms), answers other than 200. */
    record Side(double requestsPerS, double p50, double p99, long errors, long requests) {
    }

    record Result(int clients, double seconds, Side serve, Side direct, long peakRssKb, Map<String, Long> errors) {
    }

    private final Path store;
    private final Path template;

    LoadRun(Path store, Path template) {
        this.store = store;
        this.template = template;
    }

    Result measure(Bundle bundle, int clients, Duration duration) throws IOException, InterruptedException {
        if (!Files.isRegularFile(template)) {
            throw new IllegalArgumentException("the load run starts serve from " + template
                    + ", which is missing: run the bench from the repository root");
        }
        String model = bundle.metadata().name();
        String body = BenchRecords.body(BenchRecords.records(bundle.metadata(), 7_000, 1));
        try (ServeCommand.Running serve = ServeCommand.start(new String[] {"--port", "0", "--store", store.toString(),
                "--template", template.toString(), "--poll-ms", "60000"}, System.getenv())) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(serve.api().url() + "/models/" + model + "/predict"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> handler = serve.functions().api();
            LocalContext context = new LocalContext("PredictFunction", 30, 2048,
                    new PrintStream(OutputStream.nullOutputStream()));
            Map<String, Long> errors = new ConcurrentHashMap<>();
            Call overHttp = () -> {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 ? null : r.statusCode() + " " + abbreviate(r.body());
            };
            Call direct = () -> {
                APIGatewayProxyResponseEvent r = handler.handleRequest(WarmLatency.event(model, body), context);
                return r.getStatusCode() == 200 ? null : r.getStatusCode() + " " + abbreviate(r.getBody());
            };
            // warm both paths up (JIT, the scorer's first requests), then measure in turns
            drive(overHttp, clients, Duration.ofSeconds(3), errors);
            drive(direct, clients, Duration.ofSeconds(3), errors);
            errors.clear();
            Side viaServe = drive(overHttp, clients, duration, errors);
            Side viaHandler = drive(direct, clients, duration, errors);
            return new Result(clients, duration.toMillis() / 1000.0, viaServe, viaHandler,
                    ChildReport.procStatusKb("VmHWM"), Map.copyOf(errors));
        }
    }

    @FunctionalInterface
    private interface Call {
        /** @return null for a 200, else what came back */
        String call() throws Exception;
    }

    private static Side drive(Call call, int clients, Duration duration, Map<String, Long> errors)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long deadline = System.nanoTime() + duration.toNanos();
        AtomicLong failed = new AtomicLong();
        List<Future<long[]>> futures = new ArrayList<>();
        long started = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                long[] nanos = new long[1 << 16];
                int n = 0;
                while (System.nanoTime() < deadline) {
                    long t0 = System.nanoTime();
                    String error;
                    try {
                        error = call.call();
                    } catch (Exception e) {
                        error = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                    long took = System.nanoTime() - t0;
                    if (error != null) {
                        failed.incrementAndGet();
                        errors.merge(error, 1L, Long::sum);
                    }
                    if (n == nanos.length) {
                        nanos = Arrays.copyOf(nanos, n * 2);
                    }
                    nanos[n++] = took;
                }
                return Arrays.copyOf(nanos, n);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : futures) {
            try {
                all.add(f.get());
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("a load client failed", e.getCause());
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        pool.shutdown();
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Side(merged.length / seconds, percentile(merged, 0.50), percentile(merged, 0.99), failed.get(),
                merged.length);
    }

    private static double percentile(long[] sortedNanos, double q) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sortedNanos.length - 1, Math.ceil(q * sortedNanos.length) - 1);
        return sortedNanos[Math.max(0, i)] / 1e6;
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() <= 160 ? s : s.substring(0, 160) + "...";
    }
}
