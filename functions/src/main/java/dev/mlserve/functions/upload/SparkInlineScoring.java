package dev.mlserve.functions.upload;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.SparkSession;

/**
 * {@link FileScorer} on the container's SparkSession, through the bundle's fast path when it has
 * one (validation and scoring in one pass). Loaded pipelines are kept per bundle folder (a new
 * bundle version or a changed S3 bundle is a new folder), a few at most.
 */
final class SparkInlineScoring implements InlineScoring {
    private static final int CACHED_BUNDLES = 4;

    private final SparkSession spark;
    private final Map<Path, FastPathScorer> scorers = new LinkedHashMap<>(CACHED_BUNDLES, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, FastPathScorer> eldest) {
            return size() > CACHED_BUNDLES;
        }
    };

    SparkInlineScoring(SparkSession spark) {
        this.spark = Objects.requireNonNull(spark, "spark");
    }

    @Override
    public Manifest score(Bundle bundle, Path input, FileFormat format, Path output, RunInfo run) {
        // Plain "file:" paths: Hadoop would escape a percent-encoded URI a second time.
        return new FileScorer(spark, scorer(bundle)).score("file:" + input.toAbsolutePath(), format,
                "file:" + output.toAbsolutePath(), run);
    }

    private synchronized FastPathScorer scorer(Bundle bundle) {
        return scorers.computeIfAbsent(bundle.directory(), dir -> FastPathScorer.load(spark, bundle));
    }
}
