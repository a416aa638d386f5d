package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.io.OutputLayout.Mode;
import org.junit.jupiter.api.Test;

class OutputLayoutTest {
    private static final long MIB = 1L << 20;
    private static final long TARGET = 128 * MIB;
    private static final long MIN_SPLIT = InputSplits.MIN_SPLIT_BYTES;

    @Test
    void plan_smallInputInOnePartition_writesOneFileAsRead() {
        assertThat(OutputLayout.plan(40_000, 1, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(1, Mode.AS_READ));
    }

    @Test
    void plan_inlineSizedFileSplitAcrossCores_writesOneFilePerSplitSoEveryCoreWrites() {
        // the bench's 200k-row CSV on 2 cores; uploads at and under the default inline limit
        assertThat(OutputLayout.plan(14 * MIB, 2, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(2, Mode.AS_READ));
        assertThat(OutputLayout.plan(5 * MIB, 2, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(2, Mode.AS_READ));
        assertThat(OutputLayout.plan(3 * MIB, 2, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(2, Mode.AS_READ));
    }

    @Test
    void plan_mediumInputSplitAcrossManyCores_writesOneFilePerSplit() {
        assertThat(OutputLayout.plan(100 * MIB, 8, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(8, Mode.AS_READ));
    }

    @Test
    void plan_tinyPartFilesPackedIntoMorePartitionsThanOneFileWouldGive_areMergedThroughAShuffle() {
        // 1,000 files of 10 KiB: Spark charges each the open cost and packs them into ~32 partitions
        assertThat(OutputLayout.plan(10 * MIB, 32, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(1, Mode.REPARTITION));
        assertThat(OutputLayout.plan(1000 * MIB, 2000, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(8, Mode.REPARTITION));
    }

    @Test
    void plan_bigInputInTargetSizedSplits_writesOneFilePerSplit() {
        assertThat(OutputLayout.plan(1024 * MIB, 8, TARGET, MIN_SPLIT)).isEqualTo(new OutputLayout(8, Mode.AS_READ));
    }

    @Test
    void plan_hugeInputInManyTinySplits_capsTheFileCount() {
        assertThat(OutputLayout.plan(2_000_000 * MIB, 800_000, TARGET, MIN_SPLIT))
                .isEqualTo(new OutputLayout(OutputLayout.MAX_FILES, Mode.REPARTITION));
        assertThat(OutputLayout.plan(2_000_000 * MIB, 200_000, TARGET, MIN_SPLIT))
                .isEqualTo(new OutputLayout(OutputLayout.MAX_FILES, Mode.REPARTITION));
    }

    @Test
    void single_alwaysAnswersOneFileThroughAShuffleOfTheFilteredRowsWhenThereAreSeveralPartitions() {
        assertThat(OutputLayout.single(8)).isEqualTo(new OutputLayout(1, Mode.REPARTITION));
        assertThat(OutputLayout.single(1)).isEqualTo(new OutputLayout(1, Mode.AS_READ));
    }
}
