package dev.mlserve.scoring.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the local-mode SparkSession used by Lambda, the CLI and tests. Settings that matter in a
 * Lambda sandbox: no UI, loopback only, every scratch directory under one writable folder, and an
 * explicit Hadoop login user.
 */
public final class SparkSessions {
    private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

    private SparkSessions() {
    }

    /** Returns the JVM's active session if one exists, else builds one from the settings. */
    public static synchronized SparkSession getOrCreate(SparkSettings settings) {
        long start = System.nanoTime();
        Path scratch = prepareScratch(settings.scratchDir());
        setLoginUser(settings.user());
        SparkSession session = SparkSession.builder()
                .appName(settings.appName())
                .master(settings.master())
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.local.dir", scratch.resolve("spark-local").toString())
                .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toUri().toString())
                .config("spark.hadoop.hadoop.tmp.dir", scratch.resolve("hadoop").toString())
                .config("spark.sql.shuffle.partitions", Integer.toString(settings.shufflePartitions()))
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.catalogImplementation", "in-memory")
                // Bundles and scored files are read once: no need to list them in parallel jobs.
                .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "1000000")
                .getOrCreate();
        LOG.info("spark session ready: master={} spark={} ms={}", settings.master(), session.version(),
                (System.nanoTime() - start) / 1_000_000);
        return session;
    }

    private static Path prepareScratch(Path scratch) {
        try {
            Files.createDirectories(scratch.resolve("spark-local"));
            Files.createDirectories(scratch.resolve("hadoop"));
            return scratch.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("scratch directory " + scratch + " is not writable (set "
                    + SparkSettings.ENV_SCRATCH_DIR + ")", e);
        }
    }

    /**
     * Hadoop otherwise derives the user from the OS, which fails with
     * "KerberosAuthException ... invalid null input: name" when the uid has no passwd entry.
     */
    private static void setLoginUser(String user) {
        UserGroupInformation.setLoginUser(UserGroupInformation.createRemoteUser(user));
    }
}
