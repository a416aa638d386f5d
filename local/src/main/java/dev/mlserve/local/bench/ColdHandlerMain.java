package dev.mlserve.local.bench;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.mlserve.functions.api.PredictHandler;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cold-start child (a fresh JVM, as Lambda starts one): builds {@link PredictHandler} with its
 * public no-arg constructor from the MLSERVE_* environment the parent sets (local backend, bundle
 * on local disk), answers one predict request, says so, waits for the models' background check
 * against transform, then answers {@code warm} more (1 and 100 records alternately) and reports
 * its phases, fast-path status and peak resident memory.
 * Arguments: MODEL BUNDLE_DIR WARM_REQUESTS.
 */
public final class ColdHandlerMain {
    private ColdHandlerMain() {
    }

    public static void main(String[] args) throws Exception {
        long mainAt = ChildReport.sinceJvmStartMs();
        PrintStream out = System.out;
        System.setOut(System.err); // EMF lines and anything else a library prints stay off the report
        String model = args[0];
        BundleMetadata metadata = LocalBundleStore.open(Path.of(args[1])).metadata();
        int warm = Integer.parseInt(args[2]);
        APIGatewayProxyRequestEvent one = WarmLatency.event(model,
                BenchRecords.body(BenchRecords.records(metadata, 0, 1)));
        APIGatewayProxyRequestEvent hundred = WarmLatency.event(model,
                BenchRecords.body(BenchRecords.records(metadata, 100, 100)));

        long start = System.nanoTime();
        PredictHandler handler = new PredictHandler();
        long constructed = System.nanoTime();
        check(handler.handleRequest(one, null));
        long answered = System.nanoTime();
        long firstAt = ChildReport.sinceJvmStartMs();
        ChildReport.ready(out);

        // the background check against transform (a snapshot-loaded model) is part of the
        // serving process's memory: wait for it before the warm requests and the reading
        Map<String, String> checks = handler.awaitModelChecks(Duration.ofMinutes(5));
        for (int i = 0; i < warm; i++) {
            check(handler.handleRequest(i % 2 == 0 ? one : hundred, null));
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jvmToMainMs", mainAt);
        figures.put("initMs", (constructed - start) / 1_000_000);
        figures.put("firstRequestMs", (answered - constructed) / 1_000_000);
        figures.put("jvmToFirstAnswerMs", firstAt);
        figures.put("fastPath", String.join("; ", checks.values()));
        ChildReport.finish(out, figures, warm);
        System.exit(0);
    }

    private static void check(APIGatewayProxyResponseEvent response) {
        if (response.getStatusCode() != 200) {
            throw new IllegalStateException("the handler answered " + response.getStatusCode() + ": "
                    + response.getBody());
        }
    }
}
