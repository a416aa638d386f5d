package dev.mlserve.functions.upload;

import dev.mlserve.functions.ports.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** An ObjectStore that records every write and delete ("put k", "delete k") before delegating. */
final class RecordingStore implements ObjectStore {
    private final ObjectStore delegate;
    final List<String> writes = new CopyOnWriteArrayList<>();
    /** Runs right after each download: a test's overwrite of the object while it is being read. */
    volatile Runnable afterDownload = () -> { };

    RecordingStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    /** The keys written (put, upload, putIfAbsent), in order. */
    List<String> writtenKeys() {
        return writes.stream().filter(w -> !w.startsWith("delete ")).map(w -> w.substring(w.indexOf(' ') + 1))
                .toList();
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return delegate.head(key);
    }

    @Override
    public InputStream open(String key) throws IOException {
        return delegate.open(key);
    }

    @Override
    public void download(String key, Path target) throws IOException {
        delegate.download(key, target);
        afterDownload.run();
    }

    @Override
    public void put(String key, byte[] bytes, String contentType) throws IOException {
        writes.add("put " + key);
        delegate.put(key, bytes, contentType);
    }

    @Override
    public void upload(Path source, String key, String contentType) throws IOException {
        writes.add("upload " + key);
        delegate.upload(source, key, contentType);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes, String contentType) throws IOException {
        writes.add("putIfAbsent " + key);
        return delegate.putIfAbsent(key, bytes, contentType);
    }

    @Override
    public boolean putIfMatch(String key, byte[] bytes, String contentType, String etag) throws IOException {
        writes.add("putIfMatch " + key);
        return delegate.putIfMatch(key, bytes, contentType, etag);
    }

    @Override
    public Optional<Stored> read(String key) throws IOException {
        return delegate.read(key);
    }

    @Override
    public void delete(String key) throws IOException {
        writes.add("delete " + key);
        delegate.delete(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return delegate.list(prefix);
    }

    @Override
    public String uri(String key) {
        return delegate.uri(key);
    }
}
