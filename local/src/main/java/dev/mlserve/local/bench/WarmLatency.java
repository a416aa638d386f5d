package dev.mlserve.local.bench;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.mlserve.functions.api.ApiEvents;
import dev.mlserve.functions.api.PredictHandler;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.score.PipelineScorer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * Warm latency in one JVM: a predict request through the API handler (event in, response out)
 * against plain {@code PipelineModel.transform} + collect of the same rows, interleaved request by
 * request so both see the same JIT, GC and machine state.
 */
final class WarmLatency {
    /** p50 and p99 in milliseconds. */
    record Percentiles(double p50, double p99) {
    }

    /** Per record count: the handler's and plain Spark's percentiles. */
    record Result(int records, Percentiles handler, Percentiles plain) {
    }

    private final SparkSession spark;
    private final PredictHandler handler;

    WarmLatency(SparkSession spark, PredictHandler handler) {
        this.spark = spark;
        this.handler = handler;
    }

    List<Result> measure(Bundle bundle, int warmup, int requests, int... recordCounts) {
        BundleMetadata metadata = bundle.metadata();
        PipelineModel model = PipelineModel.load(bundle.pipelineDirectory().toUri().toString());
        StructType schema = metadata.sparkSchema();
        List<String> outputs = metadata.outputs().isEmpty()
                ? PipelineScorer.Outputs.standard(PipelineScorer.Outputs.added(model, schema)) : metadata.outputs();
        Column[] selected = outputs.stream().map(functions::col).toArray(Column[]::new);
        int kinds = recordCounts.length;
        APIGatewayProxyRequestEvent[] events = new APIGatewayProxyRequestEvent[kinds];
        List<?>[] rows = new List<?>[kinds];
        for (int k = 0; k < kinds; k++) {
            List<Map<String, Object>> records = BenchRecords.records(metadata, 1_000L * k, recordCounts[k]);
            events[k] = event(metadata.name(), BenchRecords.body(records));
            rows[k] = BenchRecords.rows(metadata, records);
        }
        long[][] handlerNanos = new long[kinds][requests];
        long[][] plainNanos = new long[kinds][requests];
        for (int i = -warmup; i < requests; i++) {
            for (int k = 0; k < kinds; k++) {
                long start = System.nanoTime();
                APIGatewayProxyResponseEvent response = handler.handleRequest(events[k], null);
                long handlerTook = System.nanoTime() - start;
                if (response.getStatusCode() != 200) {
                    throw new IllegalStateException("the handler answered " + response.getStatusCode() + ": "
                            + response.getBody());
                }
                start = System.nanoTime();
                @SuppressWarnings("unchecked")
                List<Row> answer = model.transform(spark.createDataFrame((List<Row>) rows[k], schema)).select(selected)
                        .collectAsList();
                long plainTook = System.nanoTime() - start;
                if (answer.size() != recordCounts[k]) {
                    throw new IllegalStateException("plain transform answered " + answer.size() + " rows");
                }
                if (i >= 0) {
                    handlerNanos[k][i] = handlerTook;
                    plainNanos[k][i] = plainTook;
                }
            }
        }
        return java.util.stream.IntStream.range(0, kinds)
                .mapToObj(k -> new Result(recordCounts[k], percentiles(handlerNanos[k]), percentiles(plainNanos[k])))
                .toList();
    }

    static Percentiles percentiles(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return new Percentiles(at(sorted, 0.50), at(sorted, 0.99));
    }

    /** Nearest-rank percentile, in milliseconds. */
    private static double at(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))] / 1e6;
    }

    static APIGatewayProxyRequestEvent event(String model, String body) {
        return ApiEvents.predictEvent(model, body);
    }
}
