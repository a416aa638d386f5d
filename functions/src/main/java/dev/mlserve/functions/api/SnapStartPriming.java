package dev.mlserve.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.score.Scorer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.sql.SparkSession;
import org.crac.Context;
import org.crac.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SnapStart hooks of the API function (an {@code org.crac} resource; a no-op on JVMs without CRaC).
 *
 * <p>{@code beforeCheckpoint}: waits for the SparkSession (the function answers before it is up),
 * then each preloaded model ({@code MLSERVE_PRELOAD_MODELS}) answers
 * {@value #PRIMING_REQUESTS} one-record and {@value #PRIMING_REQUESTS} {@value #BATCH_RECORDS}-record
 * predict requests through the handler (API event in, response out), so request parsing,
 * validation, Spark's DataFrame/transform/collect paths and the JIT are warm in the snapshot. The
 * records are synthetic, built from the bundle's input schema: a label the pipeline's own
 * StringIndexer knows for string fields, 1 for numbers, false for booleans. A priming request that
 * is not answered 200 is logged and skipped: an unprimed snapshot is slower, not wrong.
 * Nothing is closed: the local store holds no connections, and S3/EMR SDK clients (AWS backend)
 * keep their pools; a connection restored stale is discarded by the Apache client's stale check or
 * retried by the SDK (connection errors are retryable).
 *
 * <p>{@code afterRestore}: forgets when each model's LATEST was looked up, so a restored container
 * (possibly days after the snapshot) re-reads LATEST on its first request instead of trusting the
 * snapshot's answer for {@code MLSERVE_LATEST_CHECK_SECONDS}. Nothing else in the function depends
 * on time, randomness or connections made at init: request and job ids come from
 * {@code UUID.randomUUID()} (SecureRandom, NativePRNG on Linux, which mixes /dev/urandom into every
 * call) and timestamps are read per request.
 */
public final class SnapStartPriming implements Resource {
    static final int PRIMING_REQUESTS = 50;
    static final int BATCH_RECORDS = 100;
    /** How long priming waits for a snapshot-loaded model's background check against transform. */
    static final Duration VERIFY_TIMEOUT = Duration.ofMinutes(5);
    private static final Logger LOG = LoggerFactory.getLogger(SnapStartPriming.class);

    private final PredictHandler handler;
    private final ScorerCache models;
    private final List<String> preload;
    private final Supplier<SparkSession> session;
    private int primedRequests;
    private int restores;

    SnapStartPriming(PredictHandler handler, ScorerCache models, List<String> preload, Supplier<SparkSession> session) {
        this.handler = Objects.requireNonNull(handler, "handler");
        this.models = Objects.requireNonNull(models, "models");
        this.preload = List.copyOf(preload);
        this.session = Objects.requireNonNull(session, "session");
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        long start = System.nanoTime();
        // the function answers before its session is up; a snapshot holds it up (a session that
        // cannot start fails the checkpoint, so the version is not published)
        session.get();
        int answered = 0;
        for (String model : preload) {
            answered += prime(model);
        }
        primedRequests += answered;
        LOG.info("snapstart priming done: models={} requests={} ms={}", preload, answered,
                (System.nanoTime() - start) / 1_000_000);
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        models.forgetCurrentVersions();
        restores++;
        LOG.info("snapstart restore: LATEST is looked up again on the next request");
    }

    /** Priming requests answered 200 so far (for tests and the log). */
    int primedRequests() {
        return primedRequests;
    }

    int restores() {
        return restores;
    }

    ScorerCache models() {
        return models;
    }

    private int prime(String model) {
        String version = models.resolveVersion(model, null);
        Scorer scorer = models.scorer(model, version);
        if (scorer instanceof FastPathScorer fast) {
            // a scorer read from a pipeline snapshot checks itself against transform in the
            // background: the snapshot should hold the verified state, not the pending one
            LOG.info("snapstart priming: model={} version={} fast path {}", model, version,
                    fast.awaitVerification(VERIFY_TIMEOUT));
        }
        Map<String, Object> record = sampleRecord(scorer);
        String one = body(List.of(record));
        String batch = body(Collections.nCopies(BATCH_RECORDS, record));
        int answered = 0;
        for (int i = 0; i < PRIMING_REQUESTS; i++) {
            for (String body : List.of(one, batch)) {
                APIGatewayProxyResponseEvent response = handler.handleRequest(ApiEvents.predictEvent(model, body), null);
                if (response.getStatusCode() != 200) {
                    LOG.warn("snapstart priming skipped: model={} version={} status={}", model, version,
                            response.getStatusCode());
                    return answered;
                }
                answered++;
            }
        }
        return answered;
    }

    /** One record of the bundle's input schema that the pipeline accepts. */
    static Map<String, Object> sampleRecord(Scorer scorer) {
        Map<String, String> labels = knownLabels(scorer);
        BundleMetadata metadata = scorer.metadata();
        Map<String, Object> record = new LinkedHashMap<>();
        for (FieldSpec field : metadata.inputSchema()) {
            record.put(field.name(), switch (field.type()) {
                case STRING -> labels.getOrDefault(field.name(), "a");
                case DOUBLE, FLOAT -> 1.0;
                case INT, LONG -> 1;
                case BOOLEAN -> false;
                case VECTOR, ARRAY_DOUBLE -> List.of(1.0);
                case ARRAY_STRING -> List.of(labels.getOrDefault(field.name(), "a"));
                case DATE -> "2024-01-01";
                case TIMESTAMP -> "2024-01-01T00:00:00Z";
            });
        }
        return record;
    }

    /** For each string column a StringIndexer reads: its first label. */
    private static Map<String, String> knownLabels(Scorer scorer) {
        Map<String, String> labels = new HashMap<>();
        PipelineScorer pipeline = scorer instanceof dev.mlserve.scoring.fast.FastPathScorer fast ? fast.pipelineScorer()
                : scorer instanceof PipelineScorer p ? p : null;
        if (pipeline == null) {
            return labels;
        }
        for (Transformer stage : pipeline.model().stages()) {
            if (stage instanceof StringIndexerModel indexer) {
                String[] inputs = indexer.isSet(indexer.inputCols()) ? indexer.getInputCols()
                        : new String[] {indexer.getInputCol()};
                String[][] known = indexer.labelsArray();
                for (int i = 0; i < inputs.length && i < known.length; i++) {
                    if (known[i].length > 0) {
                        labels.putIfAbsent(inputs[i], known[i][0]);
                    }
                }
            }
        }
        return labels;
    }

    private static String body(List<Map<String, Object>> records) {
        try {
            return Json.MAPPER.writeValueAsString(Map.of("records", new ArrayList<>(records)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
