package dev.mlserve.functions.api;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.BundleStore;
import dev.mlserve.scoring.score.Scorer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models for the life of a warm container: bundles and loaded scorers per (model, version), the
 * least recently used dropped beyond a few; and each model's current version, asked of the store
 * again at most every {@code latestCheck} so a new {@code LATEST} is served without a cold start.
 * Names and versions are checked ({@link BundleFiles#requireSegment}) before they reach the store,
 * so a request never chooses a path. Versions are immutable: a cached version is not re-read.
 */
public final class ScorerCache {
    private static final Logger LOG = LoggerFactory.getLogger(ScorerCache.class);
    /** Loaded pipelines kept per container (each holds a Spark PipelineModel in memory). */
    public static final int DEFAULT_CAPACITY = 4;
    /** Models whose current version is remembered. */
    private static final int LATEST_CAPACITY = 64;

    private final BundleStore store;
    private final Function<Bundle, Scorer> loader;
    private final Clock clock;
    private final Duration latestCheck;
    private final Map<String, Entry> entries;
    private final Map<String, Current> current;

    /**
     * @param loader loads a bundle's pipeline (PipelineScorer::load over the container's session)
     * @param latestCheck how long a looked-up current version is trusted
     * @param capacity how many (model, version) pairs stay loaded
     */
    public ScorerCache(BundleStore store, Function<Bundle, Scorer> loader, Clock clock, Duration latestCheck,
                       int capacity) {
        this.store = Objects.requireNonNull(store, "store");
        this.loader = Objects.requireNonNull(loader, "loader");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.latestCheck = Objects.requireNonNull(latestCheck, "latestCheck");
        this.entries = lru(capacity);
        this.current = lru(LATEST_CAPACITY);
    }

    /**
     * The version to use: the requested one (checked), or the model's current one.
     *
     * @throws dev.mlserve.scoring.error.ModelNotFoundException unknown model, or a name or version
     *     that is not a valid segment
     */
    public synchronized String resolveVersion(String model, String requested) {
        BundleFiles.requireSegment("model", model);
        if (requested != null) {
            return BundleFiles.requireSegment("version", requested);
        }
        Instant now = clock.instant();
        Current known = current.get(model);
        if (known == null || !now.isBefore(known.checkedAt().plus(latestCheck))) {
            String version = store.currentVersion(model);
            if (known != null && !known.version().equals(version)) {
                LOG.info("current version changed: model={} from={} to={}", model, known.version(), version);
            }
            known = new Current(version, now);
            current.put(model, known);
        }
        return known.version();
    }

    /** The bundle's metadata, without loading its pipeline. */
    public synchronized BundleMetadata metadata(String model, String version) {
        return entry(model, version).bundle.metadata();
    }

    /**
     * The loaded scorer, loading the pipeline on first use. The load runs outside this cache's lock,
     * so a model loading does not hold up requests for the others (the provider shares one load
     * between requests for the same bundle).
     */
    public Scorer scorer(String model, String version) {
        Entry entry;
        synchronized (this) {
            entry = entry(model, version);
            if (entry.scorer != null) {
                return entry.scorer;
            }
        }
        Scorer loaded = loader.apply(entry.bundle);
        synchronized (this) {
            if (entry.scorer == null) {
                entry.scorer = loaded;
            }
            return entry.scorer;
        }
    }

    /**
     * Fetches a bundle (an S3 download in AWS) without loading its pipeline, so the download can
     * overlap Spark's start; answers the version.
     */
    public synchronized String prefetch(String model, String version) {
        entry(model, version);
        return version;
    }

    /**
     * Forgets when each model's current version was looked up, so the next request asks the store
     * again: after a SnapStart restore the snapshot's lookup times say nothing about LATEST now.
     */
    public synchronized void forgetCurrentVersions() {
        current.clear();
    }

    /** The scorers loaded so far (not those only fetched). */
    public synchronized List<Scorer> loaded() {
        return entries.values().stream().map(e -> e.scorer).filter(Objects::nonNull).toList();
    }

    /** All versions of a model, oldest first. */
    public List<String> versions(String model) {
        return store.versions(BundleFiles.requireSegment("model", model));
    }

    private Entry entry(String model, String version) {
        String key = BundleFiles.requireSegment("model", model) + "/" + BundleFiles.requireSegment("version", version);
        Entry entry = entries.get(key);
        if (entry == null) {
            entry = new Entry(store.fetch(model, version));
            entries.put(key, entry);
        }
        return entry;
    }

    private static <V> Map<String, V> lru(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > capacity;
            }
        };
    }

    private static final class Entry {
        private final Bundle bundle;
        private Scorer scorer;

        Entry(Bundle bundle) {
            this.bundle = bundle;
        }
    }

    private record Current(String version, Instant checkedAt) {
    }
}
