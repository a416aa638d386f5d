package dev.mlserve.functions.upload;

import dev.mlserve.functions.store.Keys;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.io.FileFormat;
import java.util.List;

/**
 * Where an uploaded object came from and where its results go: {@code incoming/<model>/<file>}
 * is scored into {@code scored/<model>/<file>/}. The file part may contain '/' (sub-folders), but
 * no folder of it may be named like an upload ({@code a.csv/x.csv}): its result folder would lie
 * inside {@code a.csv}'s, and re-scoring {@code a.csv} would replace it. Every key this service
 * writes under the result folder must also fit S3's key limit; a key that would not is refused.
 */
record UploadKey(String key, String model, String file) {
    static final String INCOMING = "incoming/";
    static final String SCORED = "scored/";
    /** Refusals of keys that name no model go here ('_' never starts a model name). */
    static final String UNROUTABLE = SCORED + "_unroutable/";
    /** Prefixes this service writes (or reads) itself: events for them are never processed. */
    static final List<String> OWN_PREFIXES = List.of(SCORED, "jobs/", "staging/", "models/");
    /**
     * Room kept under a result folder for the longest key written there, e.g.
     * {@code runs/<runId>/scored/part-00000-<uuid>-c000.snappy.parquet} (about 110 bytes).
     */
    static final int RESULT_KEY_RESERVE = 160;

    /** Why a key cannot be scored as an upload. */
    static final class InvalidKeyException extends Exception {
        InvalidKeyException(String message) {
            super(message, null, false, false);
        }
    }

    static UploadKey parse(String key) throws InvalidKeyException {
        try {
            Keys.requireKey(key);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException(e.getMessage());
        }
        if (!key.startsWith(INCOMING)) {
            throw new InvalidKeyException("only objects under " + INCOMING + "<model>/ are scored, not '" + key + "'");
        }
        String rest = key.substring(INCOMING.length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new InvalidKeyException("an upload goes to " + INCOMING + "<model>/<file>; '" + key
                    + "' names no model folder");
        }
        String model = rest.substring(0, slash);
        if (!BundleMetadata.NAME_PATTERN.matcher(model).matches() || model.contains("..")) {
            throw new InvalidKeyException("'" + model + "' is not a valid model name (letters, digits, '.', '_', '-';"
                    + " at most 128)");
        }
        String file = rest.substring(slash + 1);
        String[] folders = file.split("/");
        for (int i = 0; i < folders.length - 1; i++) {
            if (namesAnUpload(folders[i])) {
                throw new InvalidKeyException("'" + key + "' is inside a folder named like an upload ('" + folders[i]
                        + "'): its results would lie inside that upload's result folder; rename the folder");
            }
        }
        UploadKey parsed = new UploadKey(key, model, file);
        int longest = Keys.utf8Length(parsed.outputPrefix()) + RESULT_KEY_RESERVE;
        if (longest > Keys.MAX_LENGTH) {
            throw new InvalidKeyException("the key is too long to score: its results need keys of up to " + longest
                    + " bytes, over S3's " + Keys.MAX_LENGTH + "; use a key of at most "
                    + (Keys.MAX_LENGTH - RESULT_KEY_RESERVE - (SCORED.length() - INCOMING.length()) - 1) + " bytes");
        }
        return parsed;
    }

    /** A name the upload function would score (a supported extension), so a result folder's name. */
    private static boolean namesAnUpload(String segment) {
        try {
            FileFormat.fromFileName(segment);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean isOwnOutput(String key) {
        return OWN_PREFIXES.stream().anyMatch(key::startsWith);
    }

    /** {@code scored/<model>/<file>/}. */
    String outputPrefix() {
        return SCORED + model + "/" + file + "/";
    }

    /** The last path segment of the file part (keeps the extension for Spark's readers). */
    String fileName() {
        return file.substring(file.lastIndexOf('/') + 1);
    }
}
