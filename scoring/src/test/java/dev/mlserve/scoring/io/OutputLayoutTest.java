package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.io.OutputLayout.Mode;
import org.junit.jupiter.api.Test;

class OutputLayoutTest {
    private static final long MIB = 1L << 20;
    private static final long TARGET = 128 * MIB;

    @Test
    void plan_smallInputInOnePartition_writesOneFileAsRead() {
        assertThat(OutputLayout.plan(40_000, 1, TARGET)).isEqualTo(new OutputLayout(1, Mode.AS_READ));
    }

    @Test
    void plan_smallInputInSeveralPartitions_isOneFileThroughAShuffleSoScoringUsesEveryCore() {
        assertThat(OutputLayout.plan(10 * MIB, 3, TARGET)).isEqualTo(new OutputLayout(1, Mode.REPARTITION));
    }

    @Test
    void plan_mediumInputInSmallSplitsAcrossManyCores_repartitionsToOneFileSoScoringStaysParallel() {
        assertThat(OutputLayout.plan(100 * MIB, 8, TARGET)).isEqualTo(new OutputLayout(1, Mode.REPARTITION));
    }

    @Test
    void plan_mediumInputInFewLargeSplits_writesOneFilePerSplitWithoutShuffle() {
        assertThat(OutputLayout.plan(66 * MIB, 2, TARGET)).isEqualTo(new OutputLayout(2, Mode.AS_READ));
    }

    @Test
    void plan_bigInputInTargetSizedSplits_writesOneFilePerSplit() {
        assertThat(OutputLayout.plan(1024 * MIB, 8, TARGET)).isEqualTo(new OutputLayout(8, Mode.AS_READ));
    }

    @Test
    void plan_bigInputInManySmallSplits_repartitionsToAboutOneFilePerTarget() {
        assertThat(OutputLayout.plan(1000 * MIB, 250, TARGET)).isEqualTo(new OutputLayout(8, Mode.REPARTITION));
    }

    @Test
    void plan_hugeInputInManyTinySplits_capsTheFileCount() {
        assertThat(OutputLayout.plan(2_000_000 * MIB, 200_000, TARGET))
                .isEqualTo(new OutputLayout(OutputLayout.MAX_FILES, Mode.REPARTITION));
    }

    @Test
    void single_bigInput_alwaysAnswersOneFile() {
        assertThat(OutputLayout.single(1024 * MIB, 8)).isEqualTo(new OutputLayout(1, Mode.REPARTITION));
        assertThat(OutputLayout.single(1024, 1)).isEqualTo(new OutputLayout(1, Mode.AS_READ));
    }
}
