package dev.mlserve.scoring.io;

import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A look at the first bytes (and, for Parquet, the last) of an input before Spark reads it, so a
 * file that is not what its name says is refused naming the problem instead of failing inside a
 * Spark job (a gzip named .csv read as text gives a header of binary junk; a .csv.gz that is not
 * gzip, or a truncated Parquet file, fails the job). A folder is checked by its first data file.
 * Only what can be told from a few bytes is checked here.
 */
final class FileSniff {
    private static final int HEAD = 4096;
    private static final byte[] PAR1 = {'P', 'A', 'R', '1'};

    private FileSniff() {
    }

    /** Refuses a text input (CSV, JSON Lines) that is binary, or named .gz without being gzip. */
    static void requireText(String input, Configuration conf) {
        Sample s = sample(input, conf);
        if (s == null) {
            return;
        }
        boolean gz = s.name.toLowerCase(Locale.ROOT).endsWith(".gz");
        boolean gzipBytes = s.head.length >= 2 && (s.head[0] & 0xff) == 0x1f && (s.head[1] & 0xff) == 0x8b;
        if (gz) {
            if (s.head.length > 0 && !gzipBytes) {
                refuse("the file is named .gz but is not gzip-compressed",
                        "rename it without .gz if it is plain text, or compress it with gzip");
            }
            return;
        }
        String kind = gzipBytes ? "a gzip file (name a compressed file .csv.gz or .jsonl.gz)"
                : startsWith(s.head, new byte[] {'P', 'K', 3, 4}) ? "a zip file (zip archives are not read)"
                : startsWith(s.head, new byte[] {(byte) 0x89, 'P', 'N', 'G'}) ? "a PNG image"
                : startsWith(s.head, PAR1) ? "a Parquet file (name it .parquet)"
                : hasNul(s.head) ? "binary data (it holds NUL bytes)" : null;
        if (kind != null) {
            refuse("the file is not a text file: it looks like " + kind,
                    "CSV and JSON Lines files must be UTF-8 text");
        }
    }

    /** Refuses an input named .parquet that does not start and end with Parquet's magic bytes. */
    static void requireParquet(String input, Configuration conf) {
        Sample s = sample(input, conf);
        if (s == null) {
            return;
        }
        if (s.length < 12 || !startsWith(s.head, PAR1) || !Arrays.equals(s.tail, PAR1)) {
            refuse("the file is not a Parquet file, or is truncated: it does not start and end with Parquet's"
                    + " magic bytes (PAR1)", "upload the whole file as written by a Parquet writer");
        }
    }

    private static void refuse(String error, String hint) {
        throw new BadInputException(error, List.of(new Violation(-1, null, hint)));
    }

    private record Sample(String name, long length, byte[] head, byte[] tail) {
    }

    /** The first data file's head and last 4 bytes; null when it cannot be read this way (Spark then says). */
    private static Sample sample(String input, Configuration conf) {
        try {
            Path path = new Path(input);
            FileSystem fs = path.getFileSystem(conf);
            FileStatus status = fs.getFileStatus(path);
            if (status.isDirectory()) {
                FileStatus[] files = fs.listStatus(path, p -> !p.getName().startsWith(".")
                        && !p.getName().startsWith("_"));
                status = Arrays.stream(files).filter(FileStatus::isFile).sorted().findFirst().orElse(null);
                if (status == null) {
                    return null;
                }
            }
            long length = status.getLen();
            byte[] head = new byte[(int) Math.min(HEAD, length)];
            byte[] tail = new byte[(int) Math.min(4, length)];
            try (FSDataInputStream in = fs.open(status.getPath())) {
                in.readFully(0, head);
                in.readFully(length - tail.length, tail);
            }
            return new Sample(status.getPath().getName(), length, head, tail);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static boolean hasNul(byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }
}
