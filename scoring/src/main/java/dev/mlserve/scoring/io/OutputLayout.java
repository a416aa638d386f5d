package dev.mlserve.scoring.io;

import org.apache.spark.sql.Dataset;

/**
 * How many files a result is written as, and how to get there without giving up parallelism.
 *
 * <p>The scoring work runs on the input's partitions: Spark cuts files into splits by size and
 * cores (at most {@code spark.sql.files.maxPartitionBytes}, 128 MiB; {@link InputSplits} evens out
 * the cut of small inputs) and packs small files together. Written as they are, those partitions
 * make files of at most 128 MiB of input each, one per task, as plain Spark writes them: no single
 * giant file, and every core writes. The layout only merges partitions that average under
 * {@code minSplitBytes} of input (a prefix of tiny part files packed together), into one file per
 * {@code targetFileBytes}, through a shuffle so reading and scoring keep their parallelism (a
 * coalesce would pull all the work into as few tasks as files).
 *
 * <p>Merging inputs of inline sizes into one file was measured and dropped: with the 200k-row CSV
 * of the bench (14 MB, 2 splits on 2 cores) the one-task write after the shuffle took about as
 * long as reading, validating and scoring on both cores (0.8 s of 1.7 s, Spark event log).
 *
 * @param files the number of output files (the partition count when written as read)
 */
record OutputLayout(int files, Mode mode) {
    static final long DEFAULT_TARGET_FILE_BYTES = 128L << 20;
    static final int MAX_FILES = 10_000;

    enum Mode { AS_READ, REPARTITION }

    /** @param minSplitBytes partitions averaging less input than this are merged */
    static OutputLayout plan(long inputBytes, int inputPartitions, long targetFileBytes, long minSplitBytes) {
        long wanted = ceilDiv(inputBytes, targetFileBytes);
        int files = (int) Math.max(1, Math.min(MAX_FILES, wanted));
        if (inputPartitions <= files) {
            return new OutputLayout(inputPartitions, Mode.AS_READ);
        }
        boolean realSplits = inputPartitions <= Math.max(1, ceilDiv(inputBytes, Math.max(1, minSplitBytes)));
        if (realSplits && inputPartitions <= MAX_FILES) {
            return new OutputLayout(inputPartitions, Mode.AS_READ);
        }
        return new OutputLayout(files, Mode.REPARTITION);
    }

    private static long ceilDiv(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }

    /**
     * One file whatever the input size (rejected.jsonl): the rows are filtered before the layout,
     * so the shuffle carries only the few bad rows while every input partition is read in its own
     * task (a coalesce would read and validate the whole input in one).
     */
    static OutputLayout single(int inputPartitions) {
        return inputPartitions <= 1 ? new OutputLayout(inputPartitions, Mode.AS_READ) : new OutputLayout(1, Mode.REPARTITION);
    }

    <T> Dataset<T> apply(Dataset<T> rows) {
        return switch (mode) {
            case AS_READ -> rows;
            case REPARTITION -> rows.repartition(files);
        };
    }
}
