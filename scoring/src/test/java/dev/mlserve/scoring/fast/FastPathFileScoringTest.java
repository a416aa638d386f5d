package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File scoring when the fast path itself breaks on a row (a bug, not bad data): transform scores the file. */
class FastPathFileScoringTest {
    private final SparkSession spark = TestSpark.session();

    @TempDir
    Path dir;

    @Test
    void score_whenFastPathFaultsOnARow_scoresTheFileThroughTransformWithTheSameFiles() throws IOException {
        PipelineScorer plain = PipelineScorer.load(spark, ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC));
        FastPipeline good = FastPathCompiler.compile(plain.model(), plain.metadata().sparkSchema()).pipeline();
        int calls = good.slot("calls");
        FastPipeline faulty = good.withStep(row -> {
            if (Integer.valueOf(7).equals(row[calls])) {
                throw new IllegalStateException("a fast path bug");
            }
        });
        List<Map<String, Object>> samples = ParityPipelines.records(200, 2).stream()
                .filter(r -> !Integer.valueOf(7).equals(r.get("calls"))).toList();
        FastPathScorer scorer = FastPathScorer.checked(plain, faulty, samples);
        Path input = writeCsv(ParityPipelines.records(300, 3));
        FileScorer files = new FileScorer(spark, scorer);

        Manifest manifest = files.score(input.toString(), FileFormat.CSV, dir.resolve("fast").toString(),
                RunInfo.inline("test"));
        Manifest expected = new FileScorer(spark, plain).score(input.toString(), FileFormat.CSV,
                dir.resolve("transform").toString(), RunInfo.inline("test"));

        assertThat(files.usesFastPath()).as(scorer.fastPathStatus()).isTrue();
        assertThat(manifest.status()).isEqualTo(Manifest.SUCCEEDED);
        assertThat(manifest.rowsScored()).isEqualTo(expected.rowsScored()).isEqualTo(300);
        assertThat(content(dir.resolve("fast/scored"))).isEqualTo(content(dir.resolve("transform/scored")));
    }

    private Path writeCsv(List<Map<String, Object>> records) throws IOException {
        List<String> lines = new ArrayList<>(List.of("plan,region,tenure,charges,calls,autopay"));
        for (Map<String, Object> m : records) {
            lines.add(String.join(",", m.values().stream().map(v -> v == null ? "" : v.toString()).toList()));
        }
        Path input = dir.resolve("in.csv");
        Files.write(input, lines);
        return input;
    }

    private static List<String> content(Path scored) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> parts = Files.list(scored)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                lines.addAll(Files.readAllLines(part));
            }
        }
        return lines;
    }
}
