package dev.mlserve.scoring.io;

import org.apache.spark.sql.Dataset;

/**
 * How many files a result is written as, and how to get there without giving up parallelism.
 *
 * <p>The scoring work runs on the input's partitions: Spark cuts files into splits by size and
 * cores (at most {@code spark.sql.files.maxPartitionBytes}, 128 MiB, and about input/cores, but not
 * below {@code spark.sql.files.openCostInBytes}, 4 MiB). Output aims at one file per
 * {@code targetFileBytes} of input (at most {@link #MAX_FILES}):
 * <ul>
 *   <li>no more partitions than that: written as they are, one file per partition (big inputs);</li>
 *   <li>more partitions, input up to {@link #SMALL_INPUT_BYTES} (inline sizes): coalesced, no
 *       shuffle; the little work runs in one task, as before;</li>
 *   <li>more partitions, larger input: repartitioned; the shuffle keeps scoring on every partition
 *       and only narrows the writing (a coalesce would pull scoring itself into a few tasks).</li>
 * </ul>
 *
 * @param files the number of output files (partitions when written as read)
 */
record OutputLayout(int files, Mode mode) {
    static final long DEFAULT_TARGET_FILE_BYTES = 128L << 20;
    static final long SMALL_INPUT_BYTES = 16L << 20;
    static final int MAX_FILES = 10_000;

    enum Mode { AS_READ, COALESCE, REPARTITION }

    static OutputLayout plan(long inputBytes, int inputPartitions, long targetFileBytes) {
        long wanted = inputBytes / targetFileBytes + (inputBytes % targetFileBytes == 0 ? 0 : 1);
        int files = (int) Math.max(1, Math.min(MAX_FILES, wanted));
        if (inputPartitions <= files) {
            return new OutputLayout(inputPartitions, Mode.AS_READ);
        }
        return new OutputLayout(files, inputBytes <= SMALL_INPUT_BYTES ? Mode.COALESCE : Mode.REPARTITION);
    }

    /** One file whatever the input size (rejected.jsonl). */
    static OutputLayout single(long inputBytes, int inputPartitions) {
        return plan(inputBytes, inputPartitions, Long.MAX_VALUE);
    }

    <T> Dataset<T> apply(Dataset<T> rows) {
        return switch (mode) {
            case AS_READ -> rows;
            case COALESCE -> rows.coalesce(files);
            case REPARTITION -> rows.repartition(files);
        };
    }
}
