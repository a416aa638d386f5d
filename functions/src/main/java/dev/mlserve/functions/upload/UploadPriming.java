package dev.mlserve.functions.upload;

import java.util.List;
import java.util.Objects;
import org.crac.Context;
import org.crac.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SnapStart hooks of the upload function (an {@code org.crac} resource; a no-op on JVMs without
 * CRaC).
 *
 * <p>{@code beforeCheckpoint}: for each model of {@code MLSERVE_PRELOAD_MODELS}, the current bundle
 * is fetched (into the local cache) and loaded, and its sample records are scored as a CSV and as
 * a JSON Lines file through the same inline path an upload takes ({@link UploadService#prime}), so
 * Spark's file reading and writing, the fast path's compilation and its check, and the JIT are
 * warm in the snapshot. Nothing is written to the bucket. A model that cannot be primed is logged
 * and skipped: an unprimed snapshot is slower, not wrong.
 *
 * <p>{@code afterRestore}: nothing to refresh. Each upload looks up its model's {@code LATEST} and
 * its object's ETag when it is handled; the loaded pipelines are keyed by bundle folder, which a
 * new version or changed bundle replaces; scratch folders are made per upload.
 */
public final class UploadPriming implements Resource {
    private static final Logger LOG = LoggerFactory.getLogger(UploadPriming.class);

    private final UploadService service;
    private final List<String> preload;
    private int primedRows;
    private int restores;

    UploadPriming(UploadService service, List<String> preload) {
        this.service = Objects.requireNonNull(service, "service");
        this.preload = List.copyOf(preload);
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        long start = System.nanoTime();
        int rows = 0;
        for (String model : preload) {
            try {
                rows += service.prime(model);
            } catch (Exception e) { // IOException, or a missing model: prime what can be primed
                LOG.warn("snapstart priming skipped: model={} error={}", model, e.toString());
            }
        }
        primedRows += rows;
        LOG.info("snapstart priming done: models={} rowsScored={} ms={}", preload, rows,
                (System.nanoTime() - start) / 1_000_000);
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        restores++;
        LOG.info("snapstart restore: upload function ready (LATEST and ETags are read per upload)");
    }

    /** Rows the priming runs scored so far (for tests and the log). */
    int primedRows() {
        return primedRows;
    }

    int restores() {
        return restores;
    }
}
