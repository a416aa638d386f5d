package dev.mlserve.scoring.io;

import org.apache.spark.sql.Dataset;

/**
 * How many files a result is written as, and how to get there without giving up parallelism.
 *
 * <p>The scoring work runs on the input's partitions: Spark cuts files into splits by size and
 * cores (at most {@code spark.sql.files.maxPartitionBytes}, 128 MiB, and about input/cores, but not
 * below {@code spark.sql.files.openCostInBytes}, 4 MiB). Written as they are, those partitions make
 * files of at most about 128 MiB of input each, so no single giant file. The layout only steps in
 * where they would make files that are too many or too small:
 * <ul>
 *   <li>input up to {@link #SMALL_BYTES} (inline sizes) in several partitions: one file, through a
 *       shuffle, so reading, validating and scoring still run on every core and only the writing
 *       is one task (a coalesce would pull all the work into one task: measured with the bench,
 *       a 200k-row CSV on 2 cores, that left one core idle while plain Spark used both);</li>
 *   <li>larger input whose partitions average under {@link #SMALL_BYTES} (many cores, or many tiny
 *       part files): repartitioned to one file per {@code targetFileBytes}, for the same reason;</li>
 *   <li>otherwise: one file per partition, no shuffle.</li>
 * </ul>
 *
 * @param files the number of output files (the partition count when written as read)
 */
record OutputLayout(int files, Mode mode) {
    static final long DEFAULT_TARGET_FILE_BYTES = 128L << 20;
    static final long SMALL_BYTES = 16L << 20;
    static final int MAX_FILES = 10_000;

    enum Mode { AS_READ, COALESCE, REPARTITION }

    static OutputLayout plan(long inputBytes, int inputPartitions, long targetFileBytes) {
        long wanted = inputBytes / targetFileBytes + (inputBytes % targetFileBytes == 0 ? 0 : 1);
        int files = (int) Math.max(1, Math.min(MAX_FILES, wanted));
        if (inputPartitions <= files) {
            return new OutputLayout(inputPartitions, Mode.AS_READ);
        }
        if (inputBytes <= SMALL_BYTES || inputBytes / inputPartitions < SMALL_BYTES) {
            return new OutputLayout(files, Mode.REPARTITION);
        }
        return new OutputLayout(inputPartitions, Mode.AS_READ);
    }

    /** One file whatever the input size (rejected.jsonl): a shuffle of the few bad rows when not small. */
    static OutputLayout single(long inputBytes, int inputPartitions) {
        if (inputPartitions <= 1) {
            return new OutputLayout(inputPartitions, Mode.AS_READ);
        }
        return new OutputLayout(1, inputBytes <= SMALL_BYTES ? Mode.COALESCE : Mode.REPARTITION);
    }

    <T> Dataset<T> apply(Dataset<T> rows) {
        return switch (mode) {
            case AS_READ -> rows;
            case COALESCE -> rows.coalesce(files);
            case REPARTITION -> rows.repartition(files);
        };
    }
}
