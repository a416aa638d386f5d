package dev.mlserve.scoring.io;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.internal.SQLConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * How an input is cut into tasks. Spark sizes splits as {@code min(maxPartitionBytes,
 * max(openCost, (bytes + files * openCost) / cores))}: every file is charged an open cost of 4 MiB
 * ({@code spark.sql.files.openCostInBytes}), so a lone small file, the inline case, is cut unevenly.
 * The bench's 14 MB CSV on 2 cores became splits of 8.9 and 4.9 MB, and one core idled for a third
 * of the run (Spark event log). Where Spark's cut is coarser than an even share, the input is read
 * in a session of its own (same SparkContext, the caller's SQL settings) whose
 * {@code spark.sql.files.maxPartitionBytes} is {@code bytes / cores}, never below
 * {@link #MIN_SPLIT_BYTES}. Large inputs, where Spark's own cut is already even, are left alone.
 */
final class InputSplits {
    /** No split smaller than this: a task per core is worth it only for more input than this per core. */
    static final long MIN_SPLIT_BYTES = 1L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(InputSplits.class);

    private InputSplits() {
    }

    /**
     * @return the even split size, or 0 when Spark's own is already as fine (or the input is too
     *     small to share)
     */
    static long evenSplitBytes(long bytes, long files, int cores, long maxPartitionBytes, long openCostInBytes) {
        if (bytes <= 0 || cores <= 1) {
            return 0;
        }
        long sparks = Math.min(maxPartitionBytes, Math.max(openCostInBytes, (bytes + files * openCostInBytes) / cores));
        long even = Math.max(MIN_SPLIT_BYTES, bytes / cores + (bytes % cores == 0 ? 0 : 1));
        return even < sparks && even < bytes ? even : 0;
    }

    /**
     * The session to read an input in, and the input's size (listed once: on S3 a listing of a big
     * prefix takes time).
     *
     * @param bytes the input's total size, or -1 when it could not be listed
     */
    record Sized(SparkSession session, long bytes) {
    }

    /** The session to read {@code input} in ({@code spark} itself unless its cut is uneven), and its size. */
    static Sized of(SparkSession spark, String input) {
        ContentSummary size;
        try {
            Path path = new Path(input);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            size = fs.getContentSummary(path);
        } catch (IOException | IllegalArgumentException e) {
            return new Sized(spark, -1); // reading it reports the problem
        }
        SQLConf conf = spark.sessionState().conf();
        int cores = spark.sparkContext().defaultParallelism();
        long split = evenSplitBytes(size.getLength(), size.getFileCount(), cores, conf.filesMaxPartitionBytes(),
                conf.filesOpenCostInBytes());
        if (split == 0) {
            return new Sized(spark, size.getLength());
        }
        SparkSession sized = spark.newSession();
        for (Map.Entry<String, String> e : JavaConverters.mapAsJavaMap(spark.conf().getAll()).entrySet()) {
            if (sized.conf().isModifiable(e.getKey())) {
                sized.conf().set(e.getKey(), e.getValue());
            }
        }
        sized.conf().set(SQLConf.FILES_MAX_PARTITION_BYTES().key(), Long.toString(split));
        LOG.debug("input read in even splits: input={} bytes={} files={} cores={} splitBytes={}", input,
                size.getLength(), size.getFileCount(), cores, split);
        return new Sized(sized, size.getLength());
    }
}
