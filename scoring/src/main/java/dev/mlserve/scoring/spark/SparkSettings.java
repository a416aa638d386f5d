package dev.mlserve.scoring.spark;

import java.nio.file.Path;
import java.util.Map;

/**
 * How the local-mode session is built.
 *
 * @param master Spark master, {@code local[*]} by default
 * @param scratchDir where Spark, Hadoop and the model cache may write (Lambda: only /tmp is writable)
 * @param shufflePartitions {@code spark.sql.shuffle.partitions}; small for inline scoring
 * @param user the Hadoop login user; set explicitly so a uid without a passwd entry still starts
 */
public record SparkSettings(String appName, String master, Path scratchDir, int shufflePartitions, String user) {

    public static final String ENV_MASTER = "MLSERVE_SPARK_MASTER";
    public static final String ENV_SCRATCH_DIR = "MLSERVE_SCRATCH_DIR";
    public static final String ENV_SHUFFLE_PARTITIONS = "MLSERVE_SHUFFLE_PARTITIONS";

    /** Defaults, overridable by MLSERVE_SPARK_MASTER, MLSERVE_SCRATCH_DIR, MLSERVE_SHUFFLE_PARTITIONS. */
    public static SparkSettings fromEnv(String appName, Map<String, String> env) {
        String master = env.getOrDefault(ENV_MASTER, "local[*]");
        Path scratch = Path.of(env.getOrDefault(ENV_SCRATCH_DIR,
                Path.of(System.getProperty("java.io.tmpdir"), "mlserve").toString()));
        int partitions;
        String raw = env.getOrDefault(ENV_SHUFFLE_PARTITIONS, "2");
        try {
            partitions = Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ENV_SHUFFLE_PARTITIONS + " must be a positive integer, got '" + raw + "'");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException(ENV_SHUFFLE_PARTITIONS + " must be a positive integer, got '" + raw + "'");
        }
        return new SparkSettings(appName, master, scratch, partitions, loginUser(env));
    }

    public static SparkSettings defaults(String appName) {
        return fromEnv(appName, System.getenv());
    }

    /**
     * HADOOP_USER_NAME, else the JVM's user name when it is a real one, else "mlserve". A uid with no
     * /etc/passwd entry (Lambda) makes the JVM report "?" and Hadoop's own lookup fail.
     */
    static String loginUser(Map<String, String> env) {
        String fromEnv = env.get("HADOOP_USER_NAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        String jvmUser = System.getProperty("user.name");
        if (jvmUser != null && jvmUser.matches("[A-Za-z0-9._-]+")) {
            return jvmUser;
        }
        return "mlserve";
    }
}
