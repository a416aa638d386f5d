package dev.mlserve.functions.upload;

import dev.mlserve.scoring.io.FileFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * What an inline upload holds once expanded, checked on the downloaded file before it is scored: a
 * small object can still be too much work for the function (a Parquet file of dictionary or
 * run-length encoded columns, a gzip of repeated lines). Over either limit the file goes to the batch
 * route instead. Parquet is sized from its footer (row count, uncompressed bytes of its row groups);
 * gzip text is decompressed and counted up to the limits (never further); plain text by its lines.
 *
 * @param maxRows rows (lines of text, Parquet records) scored inline at most
 * @param maxExpandedBytes uncompressed bytes scored inline at most
 */
record InlineLimits(long maxRows, long maxExpandedBytes) {
    /** About 10 s of inline scoring in the function (about 100k rows/s), well inside its 120 s. */
    static final long DEFAULT_MAX_ROWS = 1_000_000;
    static final long DEFAULT_MAX_EXPANDED_BYTES = 128L << 20;
    static final InlineLimits DEFAULT = new InlineLimits(DEFAULT_MAX_ROWS, DEFAULT_MAX_EXPANDED_BYTES);

    /**
     * Why the file is too much to score inline; empty when it is within both limits, or when it
     * cannot be read this way (then scoring it says what is wrong with it, in a FAILED manifest).
     */
    Optional<String> exceededBy(Path file, FileFormat format) {
        try {
            return measure(file, format);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private Optional<String> measure(Path file, FileFormat format) throws IOException {
        if (format == FileFormat.PARQUET) {
            return parquet(file);
        }
        boolean gzip = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
            byte[] buffer = new byte[1 << 16];
            long bytes = 0;
            long lines = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                bytes += n;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
                if (bytes > maxExpandedBytes) {
                    return Optional.of("it expands to more than " + maxExpandedBytes + " bytes (inline limit)");
                }
                if (lines > maxRows + 1) { // a CSV's header line is not a row
                    return Optional.of("it holds more than " + maxRows + " rows (inline limit)");
                }
            }
            return Optional.empty();
        }
    }

    private Optional<String> parquet(Path file) throws IOException {
        long rows = 0;
        long bytes = 0;
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
            for (BlockMetaData block : reader.getFooter().getBlocks()) {
                rows += block.getRowCount();
                bytes += block.getTotalByteSize();
            }
        }
        if (rows > maxRows) {
            return Optional.of("it holds " + rows + " rows > inline limit of " + maxRows);
        }
        if (bytes > maxExpandedBytes) {
            return Optional.of("it holds " + bytes + " uncompressed bytes > inline limit of " + maxExpandedBytes);
        }
        return Optional.empty();
    }
}
