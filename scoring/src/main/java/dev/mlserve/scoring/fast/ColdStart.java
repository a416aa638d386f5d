package dev.mlserve.scoring.fast;

import org.slf4j.LoggerFactory;

/**
 * What a cold start can prepare on a second core while the first reads a pipeline snapshot:
 * Scala's runtime reflection ({@code scala.reflect.runtime.universe}), which costs about a second in a fresh JVM and which both reading a snapshot of UDF-based stages
 * (their type tags resolve through it) and Spark's interpreted evaluation of a UDF returning a
 * vector (its result serializer builds the vector type through {@code ScalaReflection}) need.
 * Started once per JVM when the first snapshot is about to be read (started earlier, it only took
 * the second core from logging's and Jackson's set-up: measured no faster); whoever needs the
 * universe first waits for it to be ready, as Scala's own lazy initialization does.
 */
final class ColdStart {
    private static boolean started;

    private ColdStart() {
    }

    static synchronized void prepareBeside() {
        if (started) {
            return;
        }
        started = true;
        Thread thread = new Thread(() -> {
            long start = System.nanoTime();
            try {
                org.apache.spark.sql.catalyst.ScalaReflection$.MODULE$.universe();
                LoggerFactory.getLogger(ColdStart.class).debug("scala reflection ready: ms={}", (System.nanoTime() - start) / 1_000_000);
            } catch (RuntimeException | LinkageError e) {
                LoggerFactory.getLogger(ColdStart.class).debug("scala reflection not prepared: {}", e.toString());
            }
        }, "mlserve-cold-start");
        thread.setDaemon(true);
        thread.start();
    }
}
