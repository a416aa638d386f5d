package dev.mlserve.jobs.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.scoring.io.FileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchScoreArgsTest {

    @Test
    void parse_launcherArguments_keepsEveryValue() {
        BatchScoreArgs args = BatchScoreArgs.parse(new String[] {
            "--bundle", "s3://B/models/churn/3", "--input", "s3://B/staging/j-1/records.jsonl", "--format", "jsonl",
            "--output", "s3://B/scored/churn/j-1/", "--job-id", "j-1", "--input-etag", "\"abc\"",
            "--route-reason", "1200 records > inline limit 1000"});

        assertThat(args).isEqualTo(new BatchScoreArgs("s3://B/models/churn/3", null, null, null,
                "s3://B/staging/j-1/records.jsonl", FileFormat.JSONL, "s3://B/scored/churn/j-1/", "j-1", "\"abc\"",
                "1200 records > inline limit 1000"));
    }

    @Test
    void parse_uploadsPinnedCopy_keepsItsVersionIdAndSource() {
        BatchScoreArgs args = BatchScoreArgs.parse(new String[] {
            "--bundle", "s3://B/models/churn/3", "--input", "s3://B/staging/u-1/input.csv", "--format", "csv",
            "--output", "s3://B/scored/churn/a.csv/runs/u-1/", "--job-id", "u-1", "--input-etag", "abc",
            "--input-version-id", "v-7", "--source", "s3://B/incoming/churn/a.csv"});

        assertThat(args.inputVersionId()).isEqualTo("v-7");
        assertThat(args.source()).isEqualTo("s3://B/incoming/churn/a.csv");
        assertThat(args.input()).isEqualTo("s3://B/staging/u-1/input.csv");
    }

    @Test
    void parse_nothing_reportsBundleInputAndOutputAtOnce() {
        assertThatThrownBy(() -> BatchScoreArgs.parse(new String[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--bundle is required (or --model with --model-root)")
                .hasMessageContaining("--input is required")
                .hasMessageContaining("--output is required")
                .hasMessageContaining("usage: BatchScoreJob");
    }

    @Test
    void parse_manyBadFlags_reportsEveryOneOfThem() {
        String[] argv = {"--bundle", "s3://b/models/churn/3", "--model", "churn", "--version", "1/../2",
            "--input", "s3://b/in/", "--output", "s3://b/in/out", "--format", "xml", "--job-id", " ", "--verbose",
            "--route-reason"};

        assertThatThrownBy(() -> BatchScoreArgs.parse(argv))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--bundle and --model exclude each other")
                .hasMessageContaining("--model-root is required with --model")
                .hasMessageContaining("--version '1/../2' is not valid")
                .hasMessageContaining("--format: unsupported format 'xml'")
                .hasMessageContaining("--output must be outside --input")
                .hasMessageContaining("--job-id must not be blank")
                .hasMessageContaining("unknown argument '--verbose'")
                .hasMessageContaining("--route-reason needs a value");
    }

    @Test
    void parse_versionOrRootWithBundle_reportsThemAsModelOnly() {
        assertThatThrownBy(() -> BatchScoreArgs.parse(new String[] {"--bundle", "/m/churn/1", "--version", "2",
            "--model-root", "/m", "--input", "/d/a.csv", "--output", "/o"}))
                .hasMessageContaining("--version goes with --model")
                .hasMessageContaining("--model-root goes with --model");
    }

    @Test
    void parse_modelWithRoot_resolvesLaterWithoutVersion() {
        BatchScoreArgs args = BatchScoreArgs.parse(new String[] {"--model", "churn", "--model-root", "s3://b/models",
            "--input", "s3://b/in/a.csv", "--output", "s3://b/out/a/"});

        assertThat(args.model()).isEqualTo("churn");
        assertThat(args.version()).isNull();
        assertThat(args.modelRoot()).isEqualTo("s3://b/models");
        assertThat(args.routeReason()).isEqualTo(BatchScoreArgs.DEFAULT_ROUTE_REASON);
        assertThat(args.jobId()).isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "s3://b/incoming/churn/customers.csv, CSV",
        "s3://b/staging/j/records.jsonl, JSONL",
        "/data/events.ndjson, JSONL",
        "file:/data/customers.csv.gz, CSV",
        "s3://b/exports/customers.parquet/, PARQUET",
        "data/part-0001.PARQUET, PARQUET"})
    void parse_withoutFormat_infersItFromTheInputExtension(String input, FileFormat expected) {
        BatchScoreArgs args = BatchScoreArgs.parse(new String[] {"--bundle", "/m/churn/1", "--input", input,
            "--output", "/out/x"});

        assertThat(args.format()).isEqualTo(expected);
    }

    @Test
    void parse_folderWithoutExtensionAndNoFormat_asksForFormat() {
        assertThatThrownBy(() -> BatchScoreArgs.parse(new String[] {"--bundle", "/m/churn/1", "--input",
            "s3://b/exports/2026-11-25/", "--output", "s3://b/scored/x/"}))
                .hasMessageContaining("--format is required: cannot tell the format of '2026-11-25'");
    }

    @Test
    void parse_folderWithExplicitFormat_takesTheFlag() {
        BatchScoreArgs args = BatchScoreArgs.parse(new String[] {"--bundle", "/m/churn/1", "--input",
            "s3://b/exports/2026-11-25/", "--format", "parquet", "--output", "s3://b/scored/x/"});

        assertThat(args.format()).isEqualTo(FileFormat.PARQUET);
    }

    @Test
    void parse_outputContainingInput_isRefused() {
        assertThatThrownBy(() -> BatchScoreArgs.parse(new String[] {"--bundle", "/m/churn/1", "--input",
            "/o/scored/a.csv", "--output", "/o/"}))
                .hasMessageContaining("--output must be outside --input");
    }
}
