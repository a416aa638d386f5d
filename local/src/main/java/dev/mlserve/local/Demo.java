package dev.mlserve.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.api.ApiRoutes;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.store.LocalUris;
import dev.mlserve.jobs.args.Flags;
import dev.mlserve.jobs.train.ChurnDemoData;
import dev.mlserve.jobs.train.TrainArgs;
import dev.mlserve.jobs.train.TrainJob;
import dev.mlserve.local.lambda.LocalContext;
import dev.mlserve.local.lambda.S3Events;
import dev.mlserve.local.serve.InProcessFunctions;
import dev.mlserve.local.serve.IncomingWatcher;
import dev.mlserve.local.serve.ProxyRequests;
import dev.mlserve.local.serve.RouteTable;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code demo}: the whole system on a laptop, through the real handlers. Trains the churn bundle
 * into the store (or reuses it), then, over the embedded default (the store folder and the
 * in-process batch launcher): {@code GET /models/churn}; a small prediction answered inline; a
 * large one (250 records over the demo's inline limit of 100) answered 202, run by the local
 * launcher and polled through {@code GET /jobs/{jobId}} until it ends; and an upload of
 * {@code incoming/churn/customers.csv} (one bad row) through the upload handler, with its
 * manifest and rejected rows. Prints every answer; re-running reuses the bundle and finds the
 * upload already scored.
 */
final class Demo {
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    static final int INLINE_MAX_RECORDS = 100;
    static final int LARGE_RECORDS = 250;
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);

    private final Cli cli;
    private final Supplier<SparkSession> spark;
    private final RouteTable routes = new RouteTable(Arrays.stream(ApiRoutes.Endpoint.values())
            .map(e -> new RouteTable.Route("PredictFunction", e.method(), e.template())).toList());

    Demo(Cli cli, Supplier<SparkSession> spark) {
        this.cli = cli;
        this.spark = spark;
    }

    int run(String[] args) throws IOException, InterruptedException {
        Flags f = Flags.parse(args, Set.of("--store"), Set.of());
        f.check(Cli.USAGE);
        Path store = Path.of(f.has("--store") ? f.get("--store") : "local-store").toAbsolutePath().normalize();
        Bundle bundle = trainOrReuse(store.resolve("models"));
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, FunctionConfig.LOCAL,
                FunctionConfig.LOCAL_STORE, store.toString(),
                FunctionConfig.INLINE_MAX_RECORDS, Integer.toString(INLINE_MAX_RECORDS)));

        Map<String, Object> answers = new LinkedHashMap<>();
        answers.put("bundle", bundle.directory().toString());
        boolean ok;
        try (InProcessFunctions functions = InProcessFunctions.create(config, config)) {
            ok = walk(functions, store, answers);
        }
        cli.print(answers);
        return ok ? 0 : 1;
    }

    private boolean walk(InProcessFunctions functions, Path store, Map<String, Object> answers)
            throws IOException, InterruptedException {
        String model = ChurnDemoData.NAME;
        Answer described = call(functions, "GET", "/models/" + model, null);
        answers.put("getModel", described);
        Answer small = call(functions, "POST", "/models/" + model + "/predict", resource("/demo/records.json"));
        answers.put("predictSmall", small);
        Answer large = call(functions, "POST", "/models/" + model + "/predict", largeRequest());
        answers.put("predictLarge", large);
        Answer job = large.status() == 202 ? poll(functions, large.body().path("jobId").asText()) : null;
        answers.put("job", job);

        Path csv = store.resolve("incoming").resolve(model).resolve("customers.csv");
        writeSampleCsv(csv);
        String key = store.relativize(csv).toString().replace('\\', '/');
        S3Event event = S3Events.put(IncomingWatcher.BUCKET, key, csv);
        JsonNode upload = Json.MAPPER.readTree(functions.upload().handleRequest(event, context("UploadFunction")));
        LOG.info("upload of {}: {}", key, upload);
        answers.put("upload", upload);
        Path result = store.resolve("scored").resolve(model).resolve("customers.csv");
        JsonNode manifest = Json.MAPPER.readTree(result.resolve("_manifest.json").toFile());
        answers.put("manifest", manifest);
        // The manifest names the run folder that holds the result: readers follow it.
        Path rejected = LocalUris.toPath(manifest.path("output").path("rejected").asText());
        answers.put("rejectedRows", Files.readAllLines(rejected).stream().map(Demo::json).toList());

        String action = upload.path("outcomes").path(0).path("action").asText();
        return described.status() == 200 && small.status() == 200 && large.status() == 202 && job != null
                && "SUCCESS".equals(job.body().path("state").asText())
                && (action.equals("SCORED_INLINE") || action.equals("ALREADY_DONE"))
                && "SUCCEEDED".equals(manifest.path("status").asText());
    }

    /** An answer as the caller sees it: HTTP status and JSON body. */
    record Answer(int status, JsonNode body) {
    }

    private Answer call(InProcessFunctions functions, String method, String path, String body) {
        RouteTable.Match match = routes.match(method, path).orElseThrow();
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Host", List.of("localhost"));
        headers.put("X-Forwarded-Proto", List.of("http"));
        if (body != null) {
            headers.put("Content-Type", List.of("application/json"));
        }
        APIGatewayProxyRequestEvent event = ProxyRequests.build(new ProxyRequests.HttpRequest(method, path, null,
                headers, body == null ? null : body.getBytes(StandardCharsets.UTF_8), "127.0.0.1"), match, "local");
        APIGatewayProxyResponseEvent response = functions.api().handleRequest(event, context("PredictFunction"));
        LOG.info("{} {} -> {}", method, path, response.getStatusCode());
        return new Answer(response.getStatusCode(), json(response.getBody()));
    }

    /** GET /jobs/{jobId} until the job ends (the local launcher runs it on a background thread). */
    private Answer poll(InProcessFunctions functions, String jobId) throws InterruptedException {
        long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
        int polls = 0;
        Answer answer;
        do {
            Thread.sleep(polls == 0 ? 200 : 500);
            answer = call(functions, "GET", "/jobs/" + jobId, null);
            polls++;
        } while (answer.status() == 200 && !isFinal(answer.body().path("state").asText())
                && System.nanoTime() < deadline);
        LOG.info("job {} is {} after {} polls", jobId, answer.body().path("state").asText(), polls);
        return answer;
    }

    private static boolean isFinal(String state) {
        return state.equals("SUCCESS") || state.equals("FAILED") || state.equals("CANCELLED");
    }

    private Bundle trainOrReuse(Path models) {
        try {
            Bundle bundle = new LocalBundleStore(models).fetch(ChurnDemoData.NAME, null);
            LOG.info("reusing the demo bundle at {}", bundle.directory());
            return bundle;
        } catch (ModelNotFoundException e) {
            LOG.info("training the demo bundle into {}", models);
            return TrainJob.run(spark.get(), TrainArgs.parse(new String[] {"--demo", "--out", models.toString()}));
        }
    }

    /** {@value #LARGE_RECORDS} generated customers as API records (the bundle's fields only). */
    private static String largeRequest() throws IOException {
        List<Map<String, Object>> records = new ArrayList<>();
        for (long id = 0; id < LARGE_RECORDS; id++) {
            Row row = ChurnDemoData.row(id, 7);
            Map<String, Object> record = new LinkedHashMap<>();
            for (String c : ChurnDemoData.SCHEMA.fieldNames()) {
                if (!c.equals(ChurnDemoData.ID) && !c.equals(ChurnDemoData.LABEL)) {
                    record.put(c, row.get(ChurnDemoData.SCHEMA.fieldIndex(c)));
                }
            }
            records.add(record);
        }
        return Json.MAPPER.writeValueAsString(Map.of("records", records));
    }

    /** 200 generated customers (labels dropped), one with a plan never seen in training (scored), one bad row (rejected). */
    private static void writeSampleCsv(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        List<String> columns = new ArrayList<>(List.of(ChurnDemoData.SCHEMA.fieldNames()));
        columns.remove(ChurnDemoData.LABEL);
        lines.add(String.join(",", columns));
        for (long id = 0; id < 200; id++) {
            Row row = ChurnDemoData.row(id, 2026);
            List<String> cells = new ArrayList<>();
            for (String c : columns) {
                Object v = row.get(ChurnDemoData.SCHEMA.fieldIndex(c));
                cells.add(v == null ? "" : v.toString());
            }
            lines.add(String.join(",", cells));
        }
        lines.add("C9000001,gold,month-to-month,card,north,3,29.5,1,2.0,true");
        lines.add("C9000002,basic,month-to-month,card,north,three,29.5,1,2.0,perhaps");
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static LocalContext context(String function) {
        return new LocalContext(function, 120, 2048, System.err);
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return Json.MAPPER.getNodeFactory().textNode(text);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = Demo.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
