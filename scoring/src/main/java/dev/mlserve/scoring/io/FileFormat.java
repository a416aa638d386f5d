package dev.mlserve.scoring.io;

import java.util.Locale;

/** The file formats batch scoring reads and writes. */
public enum FileFormat {
    CSV("csv"),
    JSONL("jsonl"),
    PARQUET("parquet");

    private final String extension;

    FileFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    public static FileFormat fromName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "csv" -> CSV;
            case "jsonl", "ndjson", "json" -> JSONL;
            case "parquet" -> PARQUET;
            default -> throw new IllegalArgumentException("unsupported format '" + name + "' (csv, jsonl, parquet)");
        };
    }

    /** By extension: .csv, .jsonl (.ndjson, .json), .parquet; compressed .gz variants of text formats too. */
    public static FileFormat fromFileName(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) {
            n = n.substring(0, n.length() - 3);
        }
        int dot = n.lastIndexOf('.');
        if (dot < 0) {
            throw new IllegalArgumentException("cannot tell the format of '" + fileName
                    + "': no extension (use .csv, .jsonl or .parquet)");
        }
        try {
            return fromName(n.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported file extension in '" + fileName
                    + "' (use .csv, .jsonl or .parquet)");
        }
    }
}
