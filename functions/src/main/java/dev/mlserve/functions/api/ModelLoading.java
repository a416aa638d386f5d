package dev.mlserve.functions.api;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.score.Scorer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * Loads a bundle's pipeline for the API function: from its pipeline snapshot when it has one,
 * otherwise through {@code PipelineModel.load} with Spark's code generation off for the load only. {@code PipelineModel.load} runs a few small Spark jobs per stage (metadata text file,
 * parquet schema and stage data); in a fresh JVM compiling generated code for each of them costs
 * more than interpreting a handful of rows. Measured with the bench's cold-start children (plain
 * Spark load of the demo bundle on this 2-core machine): about half the load time (see
 * docs/benchmarks.md). The results are the same (Spark's interpreted and generated evaluation
 * agree); the session's settings are restored afterwards, so scoring keeps code generation.
 */
final class ModelLoading {
    /** The SQL settings changed while a pipeline loads, with their values during the load. */
    static final Map<String, String> LOAD_SETTINGS = Map.of(
            "spark.sql.codegen.wholeStage", "false",
            "spark.sql.codegen.factoryMode", "NO_CODEGEN");

    private ModelLoading() {
    }

    /**
     * From the bundle's pipeline snapshot when it has a usable one (no Spark job; reading overlaps
     * session start), else {@code PipelineModel.load} with code generation off.
     */
    static Scorer load(Supplier<SparkSession> session, Bundle bundle) {
        Optional<FastPathScorer> quick = FastPathScorer.loadSnapshot(session, bundle);
        if (quick.isPresent()) {
            return quick.get();
        }
        return loadPipeline(session.get(), bundle);
    }

    static Scorer loadPipeline(SparkSession spark, Bundle bundle) {
        RuntimeConfig conf = spark.conf();
        Map<String, String> previous = new LinkedHashMap<>();
        LOAD_SETTINGS.keySet().forEach(k -> previous.put(k, conf.getOption(k).isDefined() ? conf.get(k) : null));
        try {
            LOAD_SETTINGS.forEach(conf::set);
            return FastPathScorer.loadPipeline(spark, bundle);
        } finally {
            previous.forEach((k, v) -> {
                if (v == null) {
                    conf.unset(k);
                } else {
                    conf.set(k, v);
                }
            });
        }
    }
}
