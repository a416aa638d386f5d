package dev.mlserve.functions.testing;

import dev.mlserve.functions.ports.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A bucket in a map, for unit tests of code that stages or reads objects. */
public final class InMemoryObjectStore implements ObjectStore {
    private final Map<String, byte[]> objects = new TreeMap<>();
    private final String bucket;

    public InMemoryObjectStore(String bucket) {
        this.bucket = bucket;
    }

    public synchronized Map<String, byte[]> objects() {
        return Map.copyOf(objects);
    }

    @Override
    public synchronized Optional<ObjectInfo> head(String key) {
        byte[] b = objects.get(key);
        return b == null ? Optional.empty() : Optional.of(new ObjectInfo(key, b.length, Integer.toHexString(java.util.Arrays.hashCode(b))));
    }

    @Override
    public synchronized InputStream open(String key) throws IOException {
        byte[] b = objects.get(key);
        if (b == null) {
            throw new FileNotFoundException(key);
        }
        return new ByteArrayInputStream(b);
    }

    @Override
    public void download(String key, Path target) throws IOException {
        try (InputStream in = open(key)) {
            Files.copy(in, target);
        }
    }

    @Override
    public synchronized void put(String key, byte[] bytes, String contentType) {
        objects.put(key, bytes.clone());
    }

    @Override
    public void upload(Path source, String key, String contentType) throws IOException {
        put(key, Files.readAllBytes(source), contentType);
    }

    @Override
    public synchronized boolean putIfAbsent(String key, byte[] bytes, String contentType) {
        return objects.putIfAbsent(key, bytes.clone()) == null;
    }

    @Override
    public synchronized boolean putIfMatch(String key, byte[] bytes, String contentType, String etag) {
        Optional<ObjectInfo> head = head(key);
        if (head.isEmpty() || !head.get().etag().equals(etag)) {
            return false;
        }
        put(key, bytes, contentType);
        return true;
    }

    @Override
    public synchronized Optional<Stored> read(String key) {
        byte[] b = objects.get(key);
        return b == null ? Optional.empty() : Optional.of(new Stored(b.clone(), head(key).orElseThrow().etag()));
    }

    @Override
    public synchronized List<String> list(String prefix) {
        return objects.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
    }

    @Override
    public synchronized void delete(String key) {
        objects.remove(key);
    }

    @Override
    public String uri(String key) {
        return "s3://" + bucket + "/" + key;
    }
}
