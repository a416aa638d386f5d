package dev.mlserve.functions.upload;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.fast.ScorerProvider;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import java.nio.file.Path;
import java.util.Objects;
import org.apache.spark.sql.SparkSession;

/**
 * {@link FileScorer} on the container's SparkSession, through the bundle's fast path when it has
 * one (validation and scoring in one pass), with the scorer from the {@link ScorerProvider} every
 * entry point uses (kept per bundle folder: a new bundle version is a new folder).
 */
final class SparkInlineScoring implements InlineScoring {
    private final SparkSession spark;
    private final ScorerProvider scorers;

    SparkInlineScoring(SparkSession spark) {
        this.spark = Objects.requireNonNull(spark, "spark");
        this.scorers = ScorerProvider.of(spark);
    }

    @Override
    public Manifest score(Bundle bundle, Path input, FileFormat format, Path output, RunInfo run) {
        // Plain "file:" paths: Hadoop would escape a percent-encoded URI a second time.
        return new FileScorer(spark, scorers.scorer(bundle)).score("file:" + input.toAbsolutePath(), format,
                "file:" + output.toAbsolutePath(), run);
    }
}
