package dev.mlserve.scoring.spark;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SparkSession that starts on its own thread when first asked for, or when {@link #start} says
 * so, for a serving function: a model read from its pipeline snapshot answers without a session,
 * so the function starts the session once its preloaded models are read and answers the first
 * requests while it comes up. {@link #get} waits for it (a Spark scorer's {@code transform}, the
 * background check against it); the first caller starts it if nobody did.
 *
 * <p>A session that fails to start stays failed: every {@link #get} throws the failure (the
 * function keeps answering what the fast path answers, and logs the cause once).
 */
public final class SessionStart implements Supplier<SparkSession> {
    private static final Logger LOG = LoggerFactory.getLogger(SessionStart.class);

    private final Supplier<SparkSession> builder;
    private final String threadName;
    private final CompletableFuture<SparkSession> session = new CompletableFuture<>();
    private boolean started;

    /** @param builder builds the session (on the start thread); usually {@code SparkSessions.getOrCreate} */
    public SessionStart(Supplier<SparkSession> builder, String threadName) {
        this.builder = Objects.requireNonNull(builder, "builder");
        this.threadName = Objects.requireNonNull(threadName, "threadName");
    }

    /** Over the local-mode session of {@link SparkSessions#getOrCreate}. */
    public static SessionStart of(SparkSettings settings) {
        Objects.requireNonNull(settings, "settings");
        return new SessionStart(() -> SparkSessions.getOrCreate(settings), "mlserve-spark-start");
    }

    /** Starts the session on its own thread unless it is already starting; returns at once. */
    public void start() {
        synchronized (this) {
            if (started) {
                return;
            }
            started = true;
        }
        Thread thread = new Thread(this::build, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private void build() {
        try {
            session.complete(builder.get());
        } catch (Throwable e) { // Spark's Scala code throws checked exceptions too
            LOG.error("the Spark session could not start: requests that need Spark fail until the function restarts",
                    e);
            session.completeExceptionally(e);
        }
    }

    /** Whether the session is up (false while starting, before {@link #start}, or after a failure). */
    public boolean isReady() {
        return session.isDone() && !session.isCompletedExceptionally();
    }

    /** The session: starts it if nobody did, waits until it is up, or throws why it could not start. */
    @Override
    public SparkSession get() {
        start();
        try {
            return session.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("the Spark session could not start: " + e.getCause(), e.getCause());
        }
    }
}
