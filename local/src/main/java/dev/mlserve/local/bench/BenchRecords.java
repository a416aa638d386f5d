package dev.mlserve.local.bench;

import dev.mlserve.jobs.train.ChurnDemoData;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.json.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/** Request records and CSV files from the seeded churn generator, shaped by a bundle's input schema. */
final class BenchRecords {
    static final long SEED = 2027;

    private BenchRecords() {
    }

    /** {@code count} records starting at {@code first}, each holding exactly the bundle's input fields. */
    static List<Map<String, Object>> records(BundleMetadata metadata, long first, int count) {
        List<Map<String, Object>> records = new ArrayList<>(count);
        for (long id = first; id < first + count; id++) {
            Row row = ChurnDemoData.row(id, SEED);
            Map<String, Object> record = new LinkedHashMap<>();
            for (FieldSpec field : metadata.inputSchema()) {
                record.put(field.name(), row.get(ChurnDemoData.SCHEMA.fieldIndex(field.name())));
            }
            records.add(record);
        }
        return records;
    }

    /** The same records as Spark rows of the bundle's schema (the plain-Spark baseline's input). */
    static List<Row> rows(BundleMetadata metadata, List<Map<String, Object>> records) {
        StructType schema = metadata.sparkSchema();
        List<Row> rows = new ArrayList<>(records.size());
        for (Map<String, Object> record : records) {
            Object[] values = new Object[schema.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = record.get(schema.fields()[i].name());
            }
            rows.add(RowFactory.create(values));
        }
        return rows;
    }

    static String body(List<Map<String, Object>> records) {
        try {
            return Json.MAPPER.writeValueAsString(Map.of("records", records));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A CSV of {@code rows} churn customers: the label dropped, the id kept as a pass-through column. */
    static Path csv(Path dir, long rows) throws IOException {
        Path file = dir.resolve("churn-" + rows + ".csv");
        if (Files.isRegularFile(file)) {
            return file;
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve(".churn-" + rows + ".csv.tmp");
        List<String> columns = new ArrayList<>(List.of(ChurnDemoData.SCHEMA.fieldNames()));
        columns.remove(ChurnDemoData.LABEL);
        try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            out.write(String.join(",", columns));
            out.newLine();
            StringBuilder line = new StringBuilder();
            for (long id = 0; id < rows; id++) {
                Row row = ChurnDemoData.row(id, 11);
                line.setLength(0);
                for (int i = 0; i < columns.size(); i++) {
                    Object v = row.get(ChurnDemoData.SCHEMA.fieldIndex(columns.get(i)));
                    if (i > 0) {
                        line.append(',');
                    }
                    if (v != null) {
                        line.append(v);
                    }
                }
                out.write(line.toString());
                out.newLine();
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return file;
    }
}
