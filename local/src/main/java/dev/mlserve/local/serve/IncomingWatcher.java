package dev.mlserve.local.serve;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import dev.mlserve.local.lambda.LocalContext;
import dev.mlserve.local.lambda.S3Events;
import dev.mlserve.local.sam.SamFunction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * S3 notifications for the local store: polls {@code <store>/incoming/} and, for each file that is
 * new or changed and has kept its size and time for one poll (so half-written files wait), sends
 * an {@code ObjectCreated:Put} event (bucket "local", the key, size and MD5 ETag) to every function
 * whose {@code S3} event filter matches the key. Files present at start are not announced (S3
 * notifies new objects only). Hidden and temporary files are ignored.
 */
public final class IncomingWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingWatcher.class);
    public static final String BUCKET = "local";
    static final String PREFIX = "incoming/";

    /** A function listening to S3 events with this key filter. */
    public record Listener(String function, SamFunction.S3Trigger filter, int timeoutSeconds, int memoryMb,
                           RequestHandler<S3Event, String> handler) {
    }

    private record Version(long size, long modified) {
    }

    private final Path store;
    private final List<Listener> listeners;
    private final Map<String, Version> announced = new HashMap<>();
    private final Map<String, Version> settling = new HashMap<>();
    private final ScheduledExecutorService timer;

    private IncomingWatcher(Path store, List<Listener> listeners) {
        this.store = store.toAbsolutePath().normalize();
        this.listeners = List.copyOf(listeners);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mlserve-local-s3-events");
            t.setDaemon(true);
            return t;
        });
    }

    public static IncomingWatcher start(Path store, List<Listener> listeners, Duration interval) {
        IncomingWatcher watcher = new IncomingWatcher(store, listeners);
        watcher.announced.putAll(watcher.scan());
        watcher.timer.scheduleWithFixedDelay(watcher::pollSafely, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        return watcher;
    }

    public Path folder() {
        return store.resolve(PREFIX);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            LOG.error("polling {} failed", folder(), e);
        }
    }

    synchronized void poll() {
        Map<String, Version> now = scan();
        settling.keySet().retainAll(now.keySet());
        announced.keySet().retainAll(now.keySet());
        now.forEach((key, version) -> {
            if (version.equals(announced.get(key))) {
                return;
            }
            if (version.equals(settling.get(key))) {
                settling.remove(key);
                announced.put(key, version);
                notifyListeners(key);
            } else {
                settling.put(key, version);
            }
        });
    }

    private void notifyListeners(String key) {
        Path file = store.resolve(key);
        S3Event event;
        try {
            event = S3Events.put(BUCKET, key, file);
        } catch (IOException e) {
            LOG.warn("{} vanished before its event was sent: {}", key, e.toString());
            return;
        }
        boolean delivered = false;
        for (Listener listener : listeners) {
            if (!listener.filter().matches(key)) {
                continue;
            }
            delivered = true;
            long started = System.nanoTime();
            try {
                String answer;
                synchronized (listener.handler()) {
                    answer = listener.handler().handleRequest(event, new LocalContext(listener.function(),
                            listener.timeoutSeconds(), listener.memoryMb(), System.err));
                }
                LOG.info("s3 event {} -> {} ms={}: {}", key, listener.function(),
                        (System.nanoTime() - started) / 1_000_000, answer);
            } catch (RuntimeException e) {
                LOG.error("s3 event {} -> {} threw (Lambda would retry an asynchronous event twice)", key,
                        listener.function(), e);
            }
        }
        if (!delivered) {
            LOG.info("s3 event {}: no function's filter matches the key", key);
        }
    }

    private Map<String, Version> scan() {
        Map<String, Version> files = new HashMap<>();
        Path root = folder();
        if (!Files.isDirectory(root)) {
            return files;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .forEach(p -> {
                        try {
                            files.put(store.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/"),
                                    new Version(Files.size(p), Files.getLastModifiedTime(p).toMillis()));
                        } catch (NoSuchFileException e) {
                            // removed while scanning
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot scan " + root, e);
        }
        return files;
    }
}
