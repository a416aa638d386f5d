package dev.mlserve.scoring.io;

import java.io.EOFException;
import java.util.Optional;
import java.util.zip.ZipException;

/**
 * Failures of a Spark read that are the file's fault, not the service's: a compressed file that does
 * not decompress, a Parquet file whose footer or pages do not decode. These end the file in a FAILED
 * manifest naming the problem; a retry could not help. Anything else (an unreachable store, a bug)
 * is not matched and stays a fault.
 */
final class ContentFailures {
    private ContentFailures() {
    }

    /** Why a gzip-compressed text file cannot be read, when that is the failure. */
    static Optional<String> compressed(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof ZipException || t instanceof EOFException && m.contains("Unexpected end of input")
                    || m.contains("incorrect header check") || m.contains("not a gzip file")) {
                return Optional.of(t.getClass().getSimpleName() + ": " + firstLine(m));
            }
        }
        return Optional.empty();
    }

    /** Why a Parquet file cannot be read, when that is the failure. */
    static Optional<String> parquet(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            String type = t.getClass().getName();
            if (m.contains("is not a Parquet file") || type.startsWith("org.apache.parquet.")
                    || type.startsWith("shaded.parquet.org.apache.thrift") || m.contains("Could not read footer")
                    && t.getCause() == null) {
                return Optional.of(firstLine(m).replaceAll("file:[^ ]*", "the file"));
            }
        }
        return Optional.empty();
    }

    private static String firstLine(String message) {
        String line = message.lines().findFirst().orElse("");
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }
}
