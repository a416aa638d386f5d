package dev.mlserve.scoring.testing;

import dev.mlserve.scoring.spark.SparkSessions;
import dev.mlserve.scoring.spark.SparkSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** One local SparkSession per test JVM: Spark start-up is the slowest thing in the suite. */
public final class TestSpark {
    private static SparkSession session;

    private TestSpark() {
    }

    public static synchronized SparkSession session() {
        if (session == null) {
            try {
                Path scratch = Files.createTempDirectory("mlserve-test-spark");
                session = SparkSessions.getOrCreate(new SparkSettings("mlserve-tests", "local[2]", scratch, 2, "mlserve"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> session.stop()));
        }
        return session;
    }
}
