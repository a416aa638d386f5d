package dev.mlserve.functions.upload;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.json.Json;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Puts a result folder into the store the way FileScorer writes one: the previous result's
 * manifest is removed first, then its other objects; the new scored parts and rejected.jsonl are
 * uploaded; {@code _manifest.json} goes last, so a present manifest always means a complete result.
 */
final class ResultPublisher {
    private final ObjectStore store;

    ResultPublisher(ObjectStore store) {
        this.store = store;
    }

    /** Uploads a local FileScorer output folder under {@code prefix} and then the manifest. */
    void publish(Path localOutput, String prefix, Manifest manifest) throws IOException {
        clear(prefix);
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
            store.upload(file, prefix + relative, contentType(relative));
        }
        putManifest(prefix, manifest);
    }

    /** A refusal: the previous result goes, a FAILED manifest saying why takes its place. */
    void publishFailure(String prefix, Manifest manifest) throws IOException {
        clear(prefix);
        putManifest(prefix, manifest);
    }

    /** The manifest under {@code prefix}, or null when there is none. */
    Manifest existingManifest(String prefix) throws IOException {
        try (InputStream in = store.open(prefix + Manifest.FILE_NAME)) {
            return Json.MAPPER.readerFor(Manifest.class)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(in);
        } catch (NoSuchFileException | FileNotFoundException e) {
            return null;
        }
    }

    private void clear(String prefix) throws IOException {
        store.delete(prefix + Manifest.FILE_NAME);
        for (String key : store.list(prefix)) {
            store.delete(key);
        }
    }

    private void putManifest(String prefix, Manifest manifest) throws IOException {
        store.put(prefix + Manifest.FILE_NAME, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest),
                "application/json");
    }

    static String contentType(String name) {
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
