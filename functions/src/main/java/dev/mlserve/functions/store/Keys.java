package dev.mlserve.functions.store;

import java.nio.charset.StandardCharsets;

/**
 * Object keys as both stores accept them: relative, '/'-separated, no empty, "." or ".." segment,
 * no backslash or control character. A local directory can then never be escaped, and an S3 key
 * written here is always also a valid local key.
 */
public final class Keys {
    /** S3's limit: 1,024 bytes of the key's UTF-8 form. */
    public static final int MAX_LENGTH = 1024;

    private Keys() {
    }

    /** An object key: non-empty, not ending in '/'. */
    public static String requireKey(String key) {
        String k = requirePrefix(key);
        if (k.isEmpty() || k.endsWith("/")) {
            throw new IllegalArgumentException("object key must not be empty or end with '/': '" + key + "'");
        }
        return k;
    }

    /** A listing prefix: "" (everything), a folder ("scored/churn/") or a partial name ("scored/ch"). */
    public static String requirePrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("key is null");
        }
        if (utf8Length(prefix) > MAX_LENGTH) {
            throw new IllegalArgumentException("key longer than " + MAX_LENGTH + " bytes (UTF-8)");
        }
        if (prefix.startsWith("/")) {
            throw new IllegalArgumentException("key must be relative: '" + prefix + "'");
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c == '\\' || Character.isISOControl(c)) {
                throw new IllegalArgumentException("key contains a backslash or control character: '"
                        + prefix.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
        String[] segments = prefix.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.equals(".") || s.equals("..") || s.isEmpty() && !last) {
                throw new IllegalArgumentException("key has an empty, '.' or '..' segment: '" + prefix + "'");
            }
        }
        return prefix;
    }

    /** The key's length as S3 counts it: bytes of its UTF-8 form. */
    public static int utf8Length(String key) {
        return key.getBytes(StandardCharsets.UTF_8).length;
    }
}
