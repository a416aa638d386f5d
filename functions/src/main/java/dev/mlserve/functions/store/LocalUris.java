package dev.mlserve.functions.store;

import java.nio.file.Path;

/** Local paths from the {@code file:} URIs {@link LocalObjectStore#uri} hands out (and plain paths). */
public final class LocalUris {
    private LocalUris() {
    }

    /** {@code file:/a/b}, {@code file:///a/b} or {@code /a/b} to the path /a/b. */
    public static Path toPath(String uri) {
        if (uri.startsWith("file://")) {
            return Path.of(uri.substring("file://".length()));
        }
        if (uri.startsWith("file:")) {
            return Path.of(uri.substring("file:".length()));
        }
        if (uri.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            throw new IllegalArgumentException("not a local path: " + uri);
        }
        return Path.of(uri);
    }
}
