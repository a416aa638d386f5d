package dev.mlserve.functions.results;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.ports.ObjectStore.Stored;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The result protocol of every scoring run that writes into the store (an upload's inline run, a
 * batch job on EMR Serverless or the local launcher, a batch request of the API):
 *
 * <ol>
 *   <li>the run's files go under a folder of its own, {@code <result>/runs/<runId>/} (scored parts,
 *       {@code rejected.jsonl}; a batch run also its own {@code _manifest.json}), which no other run
 *       writes;</li>
 *   <li>{@code <result>/_manifest.json} is then written with a conditional write ({@code If-None-Match}
 *       for the first, {@code If-Match} on the ETag just read otherwise): of two runs that commit at
 *       once, one wins and the other reads the winner's manifest and decides again;</li>
 *   <li>a run does not replace a SUCCEEDED manifest of the same object version (a duplicate event:
 *       its own run folder is removed), and a run of a version that is no longer the object's (an
 *       overwrite happened meanwhile) commits nothing: the newer version's own event scores it;</li>
 *   <li>after the commit, the run folder the replaced manifest named is removed.</li>
 * </ol>
 *
 * A reader that follows the manifest sees one complete run's files. A run that dies before its
 * commit leaves a run folder no manifest names; the next commit of the same result removes it once
 * it is older than any inline run can take ({@link #ABANDONED_AFTER}).
 */
public final class ResultPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(ResultPublisher.class);
    public static final String RUNS = "runs/";
    /** Commits lost to other writers before giving up (each loss means another run committed). */
    private static final int COMMIT_ATTEMPTS = 5;
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Longer than an inline run can take: an unnamed run folder this old was abandoned. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);

    private final ObjectStore store;
    private final Clock clock;

    public ResultPublisher(ObjectStore store) {
        this(store, Clock.systemUTC());
    }

    public ResultPublisher(ObjectStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * What became of a run at its commit: its manifest is the result's; the same object version's
     * result was already committed (this run's files are removed); the object was replaced while it
     * was scored (nothing committed, this run's files removed).
     */
    public enum Commit { COMMITTED, DUPLICATE, SUPERSEDED }

    /** The object version a run scored: its ETag (and versionId, when the bucket keeps versions). */
    public record Version(String etag, String versionId) {
        boolean sameAs(Manifest m) {
            return etag.equals(m.inputEtag());
        }
    }

    /** A new run's folder under {@code resultPrefix}: {@code runs/<UTC time>-<random>/}, sortable by start. */
    public String newRunPrefix(String resultPrefix) {
        byte[] random = new byte[4];
        RANDOM.nextBytes(random);
        return resultPrefix + RUNS + RUN_TIME.format(clock.instant()) + "-" + HexFormat.of().formatHex(random) + "/";
    }

    /**
     * Uploads a local FileScorer output folder (without its manifest) into the run folder, then commits.
     *
     * @param manifestFor the manifest naming the run folder's files, given that folder
     * @param stillCurrent whether {@code version} is still the object's (checked before each commit)
     */
    public Commit publish(Path localOutput, String resultPrefix, String runPrefix, Function<String, Manifest> manifestFor,
                   Version version, BooleanSupplier stillCurrent) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(localOutput)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> !p.getFileName().toString().equals(Manifest.FILE_NAME))
                    .sorted()
                    .toList();
        }
        for (Path file : files) {
            String relative = localOutput.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
            store.upload(file, runPrefix + relative, contentType(relative));
        }
        Commit commit = commit(resultPrefix, manifestFor.apply(runPrefix), version, stillCurrent);
        if (commit != Commit.COMMITTED) {
            deleteFolder(runPrefix);
        }
        return commit;
    }

    /**
     * A batch run's result: the manifest the run wrote last into its own folder, committed to the
     * result folder. A FAILED run's folder holds nothing the committed manifest needs, and goes.
     *
     * @param runManifest the manifest read from {@code <runPrefix>_manifest.json}
     */
    public Commit commitRun(String resultPrefix, String runPrefix, Manifest runManifest, Version version,
                            BooleanSupplier stillCurrent) throws IOException {
        Commit commit = commit(resultPrefix, runManifest, version, stillCurrent);
        if (commit == Commit.COMMITTED ? !runManifest.succeeded() : !namedByTheResult(resultPrefix, runPrefix)) {
            deleteFolder(runPrefix);
        }
        return commit;
    }

    /**
     * Whether the result folder's manifest names this run folder: the same run's end seen twice at
     * once (an end event and a status read), where the other one committed it.
     */
    private boolean namedByTheResult(String resultPrefix, String runPrefix) throws IOException {
        return runFolder(resultPrefix, existingManifest(resultPrefix)).filter(runPrefix::equals).isPresent();
    }

    /** A refusal: a FAILED manifest saying why, committed the same way (it has no run folder). */
    public Commit publishFailure(String resultPrefix, Manifest manifest, Version version, BooleanSupplier stillCurrent)
            throws IOException {
        return commit(resultPrefix, manifest, version, stillCurrent);
    }

    /** The manifest under {@code prefix}, or null when there is none. */
    public Manifest existingManifest(String prefix) throws IOException {
        return store.read(prefix + Manifest.FILE_NAME).map(ResultPublisher::parse).orElse(null);
    }

    private Commit commit(String resultPrefix, Manifest manifest, Version version, BooleanSupplier stillCurrent)
            throws IOException {
        String key = resultPrefix + Manifest.FILE_NAME;
        byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
        for (int attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
            Optional<Stored> current = store.read(key);
            Manifest previous = current.map(ResultPublisher::parse).orElse(null);
            if (previous != null && previous.succeeded() && version != null && version.sameAs(previous)) {
                LOG.info("result already committed for this object version: result={} etag={}", resultPrefix,
                        version.etag());
                return Commit.DUPLICATE;
            }
            if (!stillCurrent.getAsBoolean()) {
                LOG.info("object replaced while it was scored, nothing committed: result={}", resultPrefix);
                return Commit.SUPERSEDED;
            }
            boolean written = current.isEmpty()
                    ? store.putIfAbsent(key, bytes, "application/json")
                    : store.putIfMatch(key, bytes, "application/json", current.get().etag());
            if (written) {
                removeReplacedRun(resultPrefix, previous, manifest);
                removeAbandonedRuns(resultPrefix, manifest);
                return Commit.COMMITTED;
            }
            LOG.info("another run committed first, deciding again: result={} attempt={}", resultPrefix, attempt);
        }
        throw new IllegalStateException("could not commit " + key + ": other runs kept committing first");
    }

    /** The run folder the replaced manifest named, unless the new one names it too. */
    private void removeReplacedRun(String resultPrefix, Manifest previous, Manifest current) throws IOException {
        Optional<String> old = runFolder(resultPrefix, previous);
        if (old.isPresent() && !old.equals(runFolder(resultPrefix, current))) {
            deleteFolder(old.get());
        }
    }

    /**
     * Run folders that no manifest names and that started longer ago than any inline run can take
     * (a Lambda runs 15 minutes at most): left by runs that died before their commit.
     */
    private void removeAbandonedRuns(String resultPrefix, Manifest current) throws IOException {
        Optional<String> kept = runFolder(resultPrefix, current);
        Instant cutoff = clock.instant().minus(ABANDONED_AFTER);
        String runs = resultPrefix + RUNS;
        for (String key : store.list(runs)) {
            int slash = key.indexOf('/', runs.length());
            String folder = slash < 0 ? null : key.substring(0, slash + 1);
            if (folder == null || kept.filter(folder::equals).isPresent()) {
                continue;
            }
            Optional<Instant> started = startOf(folder.substring(runs.length(), folder.length() - 1));
            if (started.isPresent() && started.get().isBefore(cutoff)) {
                store.delete(key);
            }
        }
    }

    private static Optional<Instant> startOf(String runId) {
        int dash = runId.indexOf('-');
        try {
            return Optional.of(RUN_TIME.parse(dash < 0 ? runId : runId.substring(0, dash), Instant::from));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** {@code <result>/runs/<runId>/} of a manifest's scored output, when it names one. */
    private Optional<String> runFolder(String resultPrefix, Manifest manifest) {
        if (manifest == null || manifest.output() == null || manifest.output().scored() == null) {
            return Optional.empty();
        }
        String runs = store.uri(resultPrefix + RUNS);
        String scored = manifest.output().scored();
        if (!scored.startsWith(runs)) {
            return Optional.empty();
        }
        int slash = scored.indexOf('/', runs.length());
        return slash < 0 ? Optional.empty() : Optional.of(resultPrefix + RUNS + scored.substring(runs.length(), slash + 1));
    }

    /** Removes every object under {@code prefix}. */
    public void deleteFolder(String prefix) throws IOException {
        for (String key : store.list(prefix)) {
            store.delete(key);
        }
    }

    private static Manifest parse(Stored stored) {
        try {
            return Json.MAPPER.readerFor(Manifest.class)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(stored.bytes());
        } catch (IOException e) {
            LOG.warn("unreadable manifest, replaced: {}", e.toString());
            return null;
        }
    }

    public static String contentType(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".csv")) {
            return "text/csv";
        }
        if (n.endsWith(".jsonl")) {
            return "application/x-ndjson";
        }
        if (n.endsWith(".json")) {
            return "application/json";
        }
        return "application/octet-stream";
    }
}
