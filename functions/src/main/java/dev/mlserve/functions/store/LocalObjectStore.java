package dev.mlserve.functions.store;

import dev.mlserve.functions.ports.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The bucket as a local directory (the embedded default): key {@code a/b.csv} is the file
 * {@code <root>/a/b.csv}, so the folder has the bucket's layout (models/, incoming/, scored/,
 * staging/, jobs/). Keys are validated ({@link Keys}) and resolved inside the root, never outside.
 * Writes go to a temporary sibling and are moved into place, so a reader never sees half an
 * object; the ETag is the MD5 hex of the content, like S3's single-part ETag.
 */
public final class LocalObjectStore implements ObjectStore {
    private static final String TEMP_MARK = ".mlserve-tmp-";
    /** One monitor per lock file: a FileLock excludes other processes, not this JVM's other threads. */
    private static final ConcurrentHashMap<Path, Object> LOCKS = new ConcurrentHashMap<>();

    private final Path root;

    public LocalObjectStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the local store " + this.root, e);
        }
    }

    public Path root() {
        return root;
    }

    /** The file of a key (validated: never outside the root). */
    public Path path(String key) {
        return resolve(Keys.requireKey(key));
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        Path file = path(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ObjectInfo(key, Files.size(file), etag(file)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        Path file = path(key);
        if (Files.isDirectory(file)) {
            throw new NoSuchFileException(file.toString(), null, "a folder, not an object");
        }
        return Files.newInputStream(file);
    }

    @Override
    public void put(String key, byte[] bytes, String contentType) throws IOException {
        Path target = path(key);
        Path tmp = temp(target);
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void upload(Path source, String key, String contentType) throws IOException {
        Path target = path(key);
        Path tmp = temp(target);
        try {
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * The content is written to a temporary file, then hard-linked to the key: link creation fails
     * atomically when the key exists, and the object appears complete. Where hard links are not
     * supported, falls back to {@code CREATE_NEW} (still exclusive).
     */
    @Override
    public boolean putIfAbsent(String key, byte[] bytes, String contentType) throws IOException {
        Path target = path(key);
        Path tmp = temp(target);
        try {
            Files.write(tmp, bytes);
            Files.createLink(target, tmp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException e) {
            return createNew(target, bytes);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Compare and replace under a lock: the JVM's (threads) and a file lock beside the object (other
     * processes on this machine, such as {@code invoke}'s child JVMs). The lock file is hidden from
     * listings like the temporary files.
     */
    @Override
    public boolean putIfMatch(String key, byte[] bytes, String contentType, String etag) throws IOException {
        Path target = path(key);
        Files.createDirectories(target.getParent());
        Path lockFile = target.resolveSibling(TEMP_MARK + target.getFileName() + ".lock");
        synchronized (LOCKS.computeIfAbsent(lockFile, p -> new Object())) {
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                if (!Files.isRegularFile(target) || !etag(target).equals(etag)) {
                    return false;
                }
                put(key, bytes, contentType);
                return true;
            }
        }
    }

    @Override
    public Optional<Stored> read(String key) throws IOException {
        Path file = path(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            return Optional.of(new Stored(bytes, md5(bytes)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void delete(String key) throws IOException {
        Path file = path(key);
        if (!Files.isDirectory(file)) {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        Keys.requirePrefix(prefix);
        int slash = prefix.lastIndexOf('/');
        Path start = resolve(slash < 0 ? "" : prefix.substring(0, slash + 1));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        // Walked so that files and folders that vanish meanwhile (another writer's temporary file
        // renamed into place, a run folder removed) are skipped, as S3's listing never fails on them.
        List<String> keys = new ArrayList<>();
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !file.getFileName().toString().startsWith(TEMP_MARK)) {
                    String key = keyOf(file);
                    if (key.startsWith(prefix)) {
                        keys.add(key);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        keys.sort(null);
        return keys;
    }

    /** {@code file:<root>/<key>}: not percent-encoded, the way Hadoop paths are written. */
    @Override
    public String uri(String key) {
        Keys.requirePrefix(key);
        return "file:" + root + "/" + key;
    }

    private Path resolve(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("key '" + key + "' is outside the store");
        }
        return p;
    }

    private String keyOf(Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    private static Path temp(Path target) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        return Files.createTempFile(dir, TEMP_MARK, ".tmp");
    }

    private static boolean createNew(Path target, byte[] bytes) throws IOException {
        try {
            Files.write(target, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    private static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is not available", e);
        }
    }

    /** The ETag S3 gives a single-part upload of this file: its MD5, hex. */
    public static String etag(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is not available", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
