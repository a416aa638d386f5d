package dev.mlserve.functions.upload;

import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.jobs.Tokens;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.ports.ObjectStore.ObjectInfo;
import dev.mlserve.functions.results.ResultPublisher;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleStore;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.fast.SampleRecords;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.spark.SparkSessions;
import dev.mlserve.scoring.spark.SparkSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores one uploaded object {@code incoming/<model>/<file>} into {@code scored/<model>/<file>/}.
 *
 * <p>Small objects (up to {@code inlineMaxBytes}) are scored here: the version the event names is
 * downloaded to the scratch folder, file-scored with the shared FileScorer, and committed by
 * {@link ResultPublisher} (a run folder of its own, then a conditional manifest write), so duplicate
 * and concurrent events of one version give one result and an overwrite gives the newer version's. Larger ones
 * start a batch job through {@link Jobs} with clientToken = sha256(bucket, key, ETag), so a
 * redelivered event starts no second job. An object whose SUCCEEDED manifest names its ETag is
 * done: nothing happens (a FAILED one is redone: the model may have been deployed since, and a
 * refusal is cheap and writes the same manifest again). Unusable uploads (unsupported extension, empty object, unknown model, a
 * key naming no model) end as a FAILED manifest saying why. Real faults propagate, so Lambda
 * retries the event. Nothing is ever written under incoming/.
 */
public final class UploadService {
    private static final Logger LOG = LoggerFactory.getLogger(UploadService.class);

    private final ObjectStore store;
    private final BundleStore bundles;
    private final InlineScoring inline;
    private final Jobs jobs;
    private final Settings settings;
    private final ResultPublisher publisher;
    private static final String STAGING = "staging/";

    /**
     * @param bucket the bucket events must come from (the store's), or null to accept any (local)
     * @param modelPrefix where bundles live in the store, e.g. "models/"
     * @param inlineMaxBytes objects up to this size are scored inside the Lambda
     * @param scratchDir where inputs and results are staged locally
     */
    public record Settings(String bucket, String modelPrefix, long inlineMaxBytes, Path scratchDir,
                           InlineLimits inlineLimits) {
        public Settings(String bucket, String modelPrefix, long inlineMaxBytes, Path scratchDir) {
            this(bucket, modelPrefix, inlineMaxBytes, scratchDir, InlineLimits.DEFAULT);
        }
    }

    /**
     * One S3 event record: bucket, URL-decoded key, ETag, versionId (null in an unversioned bucket)
     * and size as the event carries them.
     */
    public record Upload(String bucket, String key, String etag, String versionId, Long size) {
        /** An event of an unversioned bucket. */
        public Upload(String bucket, String key, String etag, Long size) {
            this(bucket, key, etag, null, size);
        }
    }

    public enum Action { SCORED_INLINE, BATCH_SUBMITTED, REFUSED, ALREADY_DONE, IGNORED }

    /** @param where the result folder (or job id for a batch job) */
    public record Outcome(String key, Action action, String detail, String where) {
    }

    UploadService(ObjectStore store, BundleStore bundles, InlineScoring inline, Jobs jobs, Settings settings) {
        this.store = Objects.requireNonNull(store, "store");
        this.bundles = Objects.requireNonNull(bundles, "bundles");
        this.inline = Objects.requireNonNull(inline, "inline");
        this.jobs = Objects.requireNonNull(jobs, "jobs");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.publisher = new ResultPublisher(store);
    }

    /** The real collaborators from {@link FunctionConfig#fromEnv()}, with the container's SparkSession. */
    public static UploadService fromEnvironment() {
        return fromEnvironment(FunctionConfig.fromEnv());
    }

    static UploadService fromEnvironment(FunctionConfig config) {
        SparkSettings spark = SparkSettings.defaults("mlserve-upload");
        SparkSession session = SparkSessions.getOrCreate(spark);
        return create(config, Adapters.create(config, session), session, spark.scratchDir().resolve("uploads"));
    }

    public static UploadService create(FunctionConfig config, Adapters adapters, SparkSession spark, Path scratchDir) {
        return new UploadService(adapters.objectStore(), adapters.bundleStore(), new SparkInlineScoring(spark),
                adapters.jobs(), new Settings(config.isAws() ? config.bucket() : null, config.modelPrefix(),
                        config.uploadInlineMaxBytes(), scratchDir));
    }

    public Outcome handle(Upload upload) throws IOException {
        long started = System.nanoTime();
        Outcome outcome = route(upload);
        LOG.info("upload handled: key={} action={} where={} detail={} ms={}", upload.key(), outcome.action(),
                outcome.where(), outcome.detail(), (System.nanoTime() - started) / 1_000_000);
        return outcome;
    }

    private Outcome route(Upload upload) throws IOException {
        String key = upload.key();
        if (settings.bucket() != null && !settings.bucket().equals(upload.bucket())) {
            throw new IllegalStateException("event for bucket '" + upload.bucket() + "' but this function serves '"
                    + settings.bucket() + "': check the trigger and MLSERVE_BUCKET");
        }
        if (key.endsWith("/")) {
            return new Outcome(key, Action.IGNORED, "a folder marker, not a file", null);
        }
        if (UploadKey.isOwnOutput(key)) {
            LOG.warn("event for a key this service writes, ignored (check the trigger's incoming/ prefix filter):"
                    + " key={}", key);
            return new Outcome(key, Action.IGNORED, "not an upload: this service's own prefix", null);
        }
        UploadKey parsed;
        try {
            parsed = UploadKey.parse(key);
        } catch (UploadKey.InvalidKeyException e) {
            String prefix = UploadKey.UNROUTABLE + Tokens.sha256Hex(key).substring(0, 16) + "/";
            // the key may not be a valid store key: its URI is spelled out, not validated
            return refuse(key, store.uri("") + key, prefix, upload.etag(), null, null, e.getMessage());
        }
        Optional<ObjectInfo> head = store.head(key);
        if (head.isEmpty()) {
            return new Outcome(key, Action.IGNORED, "the object no longer exists", null);
        }
        String etag = head.get().etag();
        String versionId = upload.versionId();
        if (upload.etag() != null && !upload.etag().equals(etag)) {
            if (settings.bucket() != null) {
                return new Outcome(key, Action.IGNORED,
                        "replaced since the event (its own event scores the new object)", null);
            }
            // Local emulation: events made by hand or by `sam local generate-event` carry a
            // placeholder eTag that no option changes; they mean "this object".
            LOG.warn("event eTag {} is not the object's ({}): local emulation scores the current object", upload.etag(),
                    etag);
            versionId = null;
        }
        String prefix = parsed.outputPrefix();
        Manifest previous = publisher.existingManifest(prefix);
        if (previous != null && previous.succeeded() && etag.equals(previous.inputEtag())) {
            return new Outcome(key, Action.ALREADY_DONE, "this object version is already scored", prefix);
        }
        FileFormat format;
        try {
            format = FileFormat.fromFileName(parsed.fileName());
        } catch (IllegalArgumentException e) {
            return refuse(key, store.uri(key), prefix, etag, null, parsed.model(), e.getMessage());
        }
        long size = head.get().size();
        if (size == 0) {
            return refuse(key, store.uri(key), prefix, etag, format, parsed.model(), "the object is empty");
        }
        String version;
        try {
            version = bundles.currentVersion(parsed.model());
        } catch (ModelNotFoundException e) {
            return refuse(key, store.uri(key), prefix, etag, format, parsed.model(),
                    e.getMessage());
        }
        if (size <= settings.inlineMaxBytes()) {
            String reason = "object of " + size + " bytes <= upload inline limit of " + settings.inlineMaxBytes()
                    + " bytes";
            return scoreInline(upload.bucket(), parsed, etag, versionId, format, version, reason);
        }
        String reason = "object of " + size + " bytes > upload inline limit of " + settings.inlineMaxBytes()
                + " bytes";
        return submitBatch(upload.bucket(), parsed, etag, versionId, format, version, reason);
    }

    private Outcome scoreInline(String bucket, UploadKey upload, String etag, String versionId, FileFormat format,
                                String version, String reason) throws IOException {
        Bundle bundle = bundles.fetch(upload.model(), version);
        Files.createDirectories(settings.scratchDir());
        Path work = Files.createTempDirectory(settings.scratchDir(), "upload-");
        try {
            Path input = work.resolve("input").resolve(localName(upload.fileName()));
            if (!store.downloadVersion(upload.key(), versionId, etag, input)) {
                return new Outcome(upload.key(), Action.IGNORED,
                        "replaced while being read (its own event scores the new object)", null);
            }
            Optional<String> tooMuch = settings.inlineLimits().exceededBy(input, format);
            if (tooMuch.isPresent()) {
                return submitBatch(bucket, upload, etag, versionId, format, version,
                        reason.replace(" <= ", " within the ") + ", but " + tooMuch.get());
            }
            Path output = work.resolve("result");
            Manifest local = inline.score(bundle, input, format, output,
                    new RunInfo("inline", reason, null, etag, versionId, store.uri(upload.key())));
            String prefix = upload.outputPrefix();
            String run = publisher.newRunPrefix(prefix);
            ResultPublisher.Commit commit = publisher.publish(output, prefix, run,
                    runPrefix -> inStore(local, upload.key(), runPrefix), new ResultPublisher.Version(etag, versionId),
                    () -> isCurrent(upload.key(), etag));
            return switch (commit) {
                case DUPLICATE -> new Outcome(upload.key(), Action.ALREADY_DONE,
                        "this object version was scored by another delivery of its event meanwhile", prefix);
                case SUPERSEDED -> new Outcome(upload.key(), Action.IGNORED,
                        "replaced while being scored (its own event scores the new object)", null);
                case COMMITTED -> new Outcome(upload.key(), local.succeeded() ? Action.SCORED_INLINE : Action.REFUSED,
                        local.succeeded()
                                ? local.rowsScored() + " scored, " + local.rowsRejected() + " rejected"
                                : local.error(),
                        prefix);
            };
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The batch route: the event's version of the object is first copied to
     * {@code staging/<jobId>/input.<ext>} (inside the store; by versionId, else only while the ETag
     * is the event's), so the job reads exactly that version even if the key is overwritten while it
     * runs. The job writes into its own run folder; its end commits the result like an inline run's.
     */
    private Outcome submitBatch(String bucket, UploadKey upload, String etag, String versionId, FileFormat format,
                                String version, String reason) throws IOException {
        String token = Tokens.forUpload(bucket, upload.key(), etag);
        String jobId = "upload-" + token.substring(0, 32);
        String staging = STAGING + jobId + "/input." + format.extension();
        // A redelivered event finds the copy made by the first (same version, same bytes).
        if (store.head(staging).isEmpty() && !store.copyVersion(upload.key(), versionId, etag, staging)) {
            return new Outcome(upload.key(), Action.IGNORED,
                    "replaced before its batch job could pin it (its own event scores the new object)", null);
        }
        BatchJob job = new BatchJob(jobId, store.uri(settings.modelPrefix() + upload.model() + "/" + version),
                store.uri(staging), format.extension(), store.uri(stripSlash(upload.outputPrefix())), etag, token,
                Map.of("model", upload.model(), "version", version, "route", "batch", "source", "upload"), reason,
                versionId, store.uri(upload.key()));
        Jobs.JobStatus status = jobs.submit(job, upload.model(), version, reason);
        return new Outcome(upload.key(), Action.BATCH_SUBMITTED, "job " + status.jobId() + " " + status.state(),
                status.jobId());
    }

    private Outcome refuse(String key, String inputUri, String prefix, String etag, FileFormat format, String model,
                           String reason) throws IOException {
        String now = Instant.now().toString();
        Manifest failed = new Manifest(Manifest.FAILED, inputUri, etag, null, format == null ? null : format.extension(),
                model, null, 0, 0, 0, null, null, null, null, null, now, now, 0, reason, null);
        boolean routable = model != null;
        ResultPublisher.Commit commit = publisher.publishFailure(prefix, failed,
                routable ? new ResultPublisher.Version(etag, null) : null,
                () -> !routable || isCurrent(key, etag));
        if (commit != ResultPublisher.Commit.COMMITTED) {
            return new Outcome(key, Action.IGNORED, "not refused: " + commit.name().toLowerCase(Locale.ROOT)
                    + " (another run of this object committed its result)", null);
        }
        LOG.warn("upload refused: key={} result={} reason={}", key, prefix, reason);
        return new Outcome(key, Action.REFUSED, reason, prefix);
    }

    /**
     * SnapStart priming ({@link UploadPriming}): fetches the current bundle of {@code model} (from
     * S3 into the local cache, as its first upload would) and scores its sample records
     * ({@code samples.jsonl}) as a CSV and as a JSON Lines file through the inline path, in a
     * scratch folder removed afterwards. Nothing is written to the store.
     *
     * @return the rows scored; 0 when the bundle has no sample records
     */
    public int prime(String model) throws IOException {
        String version = bundles.currentVersion(model);
        Bundle bundle = bundles.fetch(model, version);
        Optional<List<Map<String, Object>>> samples = SampleRecords.read(bundle.directory());
        if (samples.isEmpty() || samples.get().isEmpty()) {
            LOG.info("snapstart priming: model={} version={} has no {} to score", model, version, SampleRecords.FILE);
            return 0;
        }
        Files.createDirectories(settings.scratchDir());
        Path work = Files.createTempDirectory(settings.scratchDir(), "priming-");
        try {
            int scored = 0;
            for (FileFormat format : List.of(FileFormat.CSV, FileFormat.JSONL)) {
                Path input = work.resolve("samples." + format.extension());
                Files.writeString(input, text(bundle.metadata().inputSchema(), samples.get(), format));
                Manifest m = inline.score(bundle, input, format, work.resolve("result-" + format.extension()),
                        RunInfo.inline("snapstart priming"));
                if (!m.succeeded()) {
                    LOG.warn("snapstart priming: model={} version={} format={} not scored: {}", model, version,
                            format.extension(), m.error());
                    continue;
                }
                scored += (int) m.rowsScored();
            }
            return scored;
        } finally {
            deleteTree(work);
        }
    }

    /** Records as an upload would carry them: a CSV with a header of the bundle's fields, or JSON Lines. */
    static String text(List<FieldSpec> fields, List<Map<String, Object>> records, FileFormat format)
            throws IOException {
        StringBuilder out = new StringBuilder();
        if (format == FileFormat.JSONL) {
            for (Map<String, Object> r : records) {
                out.append(Json.MAPPER.writeValueAsString(r)).append('\n');
            }
            return out.toString();
        }
        out.append(String.join(",", fields.stream().map(f -> csvCell(f.name())).toList())).append('\n');
        for (Map<String, Object> r : records) {
            out.append(String.join(",", fields.stream().map(f -> {
                Object v = r.get(f.name());
                return v == null ? "" : csvCell(String.valueOf(v));
            }).toList())).append('\n');
        }
        return out.toString();
    }

    private static String csvCell(String value) {
        boolean quote = value.isEmpty() || value.contains(",") || value.contains("\"") || value.contains("\n")
                || value.contains("\r") || !value.equals(value.strip());
        return quote ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }

    private boolean isCurrent(String key, String etag) {
        return store.head(key).map(ObjectInfo::etag).filter(etag::equals).isPresent();
    }

    /** The local run's manifest with the store's locations (the run folder) in place of the scratch folder's. */
    private Manifest inStore(Manifest m, String key, String runPrefix) {
        Manifest.Output output = m.succeeded()
                ? new Manifest.Output(store.uri(runPrefix + "scored/"), store.uri(runPrefix + "rejected.jsonl"))
                : null;
        return new Manifest(m.status(), store.uri(key), m.inputEtag(), m.inputVersionId(), m.format(), m.model(), m.version(), m.rowsIn(),
                m.rowsScored(), m.rowsRejected(), m.route(), m.routeReason(), m.jobId(), output, m.outputs(),
                m.startedAt(), m.finishedAt(), m.durationMs(), m.error(), m.details(), m.detailsOmitted());
    }

    /** A local file name Spark reads literally (no glob characters), keeping the extension. */
    private static String localName(String fileName) {
        return "upload-" + fileName.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String stripSlash(String prefix) {
        return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot remove scratch folder {}: {}", dir, e.toString());
        }
    }
}
