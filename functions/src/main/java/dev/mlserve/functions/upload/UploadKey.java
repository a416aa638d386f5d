package dev.mlserve.functions.upload;

import dev.mlserve.functions.store.Keys;
import dev.mlserve.scoring.bundle.BundleMetadata;
import java.util.List;

/**
 * Where an uploaded object came from and where its results go: {@code incoming/<model>/<file>}
 * is scored into {@code scored/<model>/<file>/}. The file part may contain '/' (sub-folders).
 */
record UploadKey(String key, String model, String file) {
    static final String INCOMING = "incoming/";
    static final String SCORED = "scored/";
    /** Refusals of keys that name no model go here ('_' never starts a model name). */
    static final String UNROUTABLE = SCORED + "_unroutable/";
    /** Prefixes this service writes (or reads) itself: events for them are never processed. */
    static final List<String> OWN_PREFIXES = List.of(SCORED, "jobs/", "staging/", "models/");

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
        return new UploadKey(key, model, rest.substring(slash + 1));
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
