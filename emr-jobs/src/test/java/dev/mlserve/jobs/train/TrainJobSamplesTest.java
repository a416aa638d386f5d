package dev.mlserve.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.fast.SampleRecords;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.TestSpark;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainJobSamplesTest {
    @TempDir
    Path out;

    @Test
    void run_demo_writesTrainingSamplesAndTheDemoBundleServesOnTheFastPathExactly() {
        Bundle bundle = TrainJob.run(TestSpark.session(), TrainArgs.parse(new String[] {
            "--demo", "--rows", "2000", "--out", out.toString()}));

        List<Map<String, Object>> samples = SampleRecords.read(bundle.directory()).orElseThrow();
        FastPathScorer scorer = FastPathScorer.load(TestSpark.session(), bundle);

        assertThat(samples).hasSize(SampleRecords.DEFAULT_COUNT);
        assertThat(scorer.fastPathEnabled()).as(scorer.fastPathStatus()).isTrue();
        assertThat(bundle.directory().resolve(dev.mlserve.scoring.fast.PipelineSnapshot.FILE)).isRegularFile();
        assertThat(scorer.awaitVerification(java.time.Duration.ofMinutes(2)))
                .isEqualTo("on: self-check identical on 200 records (recorded and live)");
        List<Map<String, Object>> synthetic = SampleRecords.synthetic(bundle.metadata().inputSchema(), scorer.model(),
                3000, 77);
        List<String> columns = scorer.availableOutputs();
        assertThat(Parity.exact(scorer.predict(synthetic, columns)))
                .isEqualTo(Parity.exact(scorer.pipelineScorer().predict(synthetic, columns)));
        assertThat(scorer.fastRequests()).isEqualTo(1);
        assertThat(scorer.sparkRequests()).isZero();
    }
}
