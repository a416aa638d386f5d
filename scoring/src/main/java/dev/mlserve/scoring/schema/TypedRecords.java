package dev.mlserve.scoring.schema;

import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A request's records, checked once against a bundle's input schema: one row per record, values
 * in schema order and typed for Spark (see {@link RecordValidator#convert}). Only
 * {@link #validate} makes them, so a scorer handed these never checks the records again.
 */
public final class TypedRecords {
    private final List<FieldSpec> schema;
    private final List<Object[]> rows;

    private TypedRecords(List<FieldSpec> schema, List<Object[]> rows) {
        this.schema = List.copyOf(schema);
        this.rows = rows;
    }

    /**
     * Validates every record (unknown fields refused, as for every API request).
     *
     * @throws BadInputException when there are no records, or naming the bad records and fields (the
     *     first {@link BadInputException#MAX_DETAILS} problems, the rest counted)
     */
    public static TypedRecords validate(List<FieldSpec> schema, RecordValidator.Mode mode, List<?> records) {
        if (records == null || records.isEmpty()) {
            throw new BadInputException("request has no records",
                    List.of(new Violation(-1, "records", "at least one record is required")));
        }
        return new TypedRecords(schema, new RecordValidator(schema, mode, false).convertAll(records));
    }

    public List<FieldSpec> schema() {
        return schema;
    }

    /** The typed rows, in record order (not copied: do not change them). */
    public List<Object[]> rows() {
        return rows;
    }

    public int size() {
        return rows.size();
    }

    /**
     * The records as JSON objects in schema order ({@link RecordValidator#jsonForm}), which
     * validate back to the same rows: what is staged for a batch job.
     */
    public List<Map<String, Object>> jsonRecords() {
        List<Map<String, Object>> out = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            Map<String, Object> record = new LinkedHashMap<>(schema.size() * 2);
            for (int i = 0; i < row.length; i++) {
                record.put(schema.get(i).name(), RecordValidator.jsonForm(row[i]));
            }
            out.add(record);
        }
        return out;
    }

    /** Fails unless these rows were checked against the given schema (a scorer's own). */
    public TypedRecords requireSchema(List<FieldSpec> expected) {
        if (!Objects.equals(schema, expected)) {
            throw new IllegalArgumentException("records were validated against another input schema");
        }
        return this;
    }
}
