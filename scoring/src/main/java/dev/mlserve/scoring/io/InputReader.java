package dev.mlserve.scoring.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.RecordValidator;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads CSV (header row), JSON Lines or Parquet and validates every row with the same
 * {@link RecordValidator} the API uses. Bad rows are kept, marked with their reasons; file-level
 * problems (no header, a required column absent) are a {@link BadInputException}. Given a
 * {@link RowScoring}, the same pass also scores each valid row (a row the fast path cannot score
 * is rejected with the reason).
 */
public final class InputReader {
    static final String CORRUPT = "_corrupt_record";
    /**
     * What Spark's readers put in place of bytes that are not UTF-8 (a Latin-1 file's accented
     * letters): a row holding it is rejected rather than scored with its text silently changed.
     */
    static final char REPLACEMENT = '\uFFFD';
    static final String NOT_UTF8 = "not valid UTF-8: the file holds bytes that are not UTF-8 text (save it as"
            + " UTF-8), or the replacement character U+FFFD";
    private static final String BOM = "\uFEFF";

    /** A JSON Lines row refused before parsing. */
    private static final class NotUtf8 extends Exception {
        NotUtf8() {
            super(null, null, false, false);
        }
    }
    /**
     * Spark's data source option that turns its glob expansion off (on by default). Without it a path
     * such as {@code incoming/churn/*.csv}, which S3 allows as an object key, reads every CSV beside it.
     */
    private static final String GLOB_PATHS = "__globPaths__";

    private final SparkSession spark;
    private final BundleMetadata metadata;

    public InputReader(SparkSession spark, BundleMetadata metadata) {
        this.spark = spark;
        this.metadata = metadata;
    }

    /**
     * A reader that takes each path literally: an object or folder named with glob characters
     * ({@code * ? [ ] { } \}) is read as named, never expanded to other files. Every input that is
     * read for scoring or for a schema goes through this.
     */
    public static DataFrameReader literal(SparkSession spark) {
        return spark.read().option(GLOB_PATHS, "false");
    }

    public ValidatedInput read(String path, FileFormat format) {
        return read(path, format, null);
    }

    /** @param scoring scores valid rows in the validation pass; null to validate only */
    ValidatedInput read(String path, FileFormat format, RowScoring scoring) {
        try {
            return switch (format) {
                case CSV -> readCsv(path, scoring);
                case JSONL -> readJsonLines(path, scoring);
                case PARQUET -> readParquet(path, scoring);
            };
        } catch (Exception e) { // Spark's SparkException (reading a header) is a checked exception javac does not see
            if (format == FileFormat.PARQUET) {
                throw e;
            }
            java.util.Optional<String> why = ContentFailures.compressed(e);
            if (why.isEmpty()) {
                throw e;
            }
            throw new BadInputException("the file cannot be decompressed: " + why.get(),
                    List.of(new Violation(-1, null, "upload the whole file as written by gzip")));
        }
    }

    private ValidatedInput readCsv(String path, RowScoring scoring) {
        FileSniff.requireText(path, spark.sparkContext().hadoopConfiguration());
        String[] header = literal(spark).option("header", "true").csv(path).columns();
        if (header.length == 0) {
            throw new BadInputException("the CSV file is empty or has no header row",
                    List.of(new Violation(-1, null, "a header row naming the columns is required")));
        }
        requireDistinct(path, header);
        if (header.length == 1 && metadata.inputSchema().size() > 1) {
            for (String[] separator : new String[][] {{";", "';'"}, {"\t", "tabs"}, {"|", "'|'"}}) {
                BadInputException missing = header[0].contains(separator[0]) ? missingColumns(List.of(header),
                        new Violation(-1, null, "the header is one column holding " + separator[1] + ": CSV files"
                                + " must be separated by ',' (this one looks separated by " + separator[1] + ")"))
                        : null;
                if (missing != null) {
                    throw missing;
                }
            }
        }
        StructType raw = new StructType();
        for (String column : header) {
            raw = raw.add(column, DataTypes.StringType, true);
        }
        StructType input = raw;
        requireColumns(Arrays.asList(header));
        Dataset<Row> rows = literal(spark)
                .option("header", "true")
                .option("mode", "PERMISSIVE")
                .option("columnNameOfCorruptRecord", CORRUPT)
                .schema(raw.add(CORRUPT, DataTypes.StringType, true))
                .csv(path);
        return validate(rows, input, RecordValidator.Mode.TEXT, FileFormat.CSV, scoring);
    }

    private ValidatedInput readJsonLines(String path, RowScoring scoring) {
        FileSniff.requireText(path, spark.sparkContext().hadoopConfiguration());
        Dataset<Row> lines = literal(spark).text(path).filter(functions.trim(functions.col("value")).notEqual(""));
        StructType input = new StructType();
        for (FieldSpec f : metadata.inputSchema()) {
            input = input.add(f.sparkField(true));
        }
        StructType out = withOutputs(input.add(ValidatedInput.ERRORS, DataTypes.StringType, true)
                .add(ValidatedInput.SOURCE, DataTypes.StringType, true), scoring);
        Dataset<Row> validated = lines.mapPartitions(
                new ValidateJsonLines(new RecordValidator(metadata.inputSchema(), RecordValidator.Mode.JSON, true),
                        metadata.inputSchema().size(), scoring, out.size()),
                Encoders.row(out));
        return new ValidatedInput(validated, Arrays.asList(input.fieldNames()), FileFormat.JSONL, outputs(scoring));
    }

    private ValidatedInput readParquet(String path, RowScoring scoring) {
        FileSniff.requireParquet(path, spark.sparkContext().hadoopConfiguration());
        Dataset<Row> rows;
        try {
            rows = literal(spark).parquet(path);
        } catch (Exception e) { // Spark's SparkException is a checked exception javac does not see
            java.util.Optional<String> why = ContentFailures.parquet(e);
            if (why.isEmpty()) {
                throw e;
            }
            throw new BadInputException("the Parquet file cannot be read: " + why.get(),
                    List.of(new Violation(-1, null, "upload the whole file as written by a Parquet writer")));
        }
        requireColumns(Arrays.asList(rows.columns()));
        return validate(rows, rows.schema(), RecordValidator.Mode.JSON, FileFormat.PARQUET, scoring);
    }

    /** The output columns appended after the internal ones, when rows are scored in this pass. */
    private static StructType withOutputs(StructType validated, RowScoring scoring) {
        return scoring == null ? validated : new StructType(
                Stream.concat(Arrays.stream(validated.fields()), Arrays.stream(scoring.encoded().fields()))
                        .toArray(StructField[]::new));
    }

    private static List<String> outputs(RowScoring scoring) {
        return scoring == null ? List.of() : List.of(scoring.outputs().fieldNames());
    }

    /** A required bundle field absent from the file's columns fails the whole file, with its name. */
    private void requireColumns(List<String> columns) {
        BadInputException missing = missingColumns(columns, null);
        if (missing != null) {
            throw missing;
        }
    }

    /** The refusal naming every required field absent from the columns (and a hint); null when none is. */
    private BadInputException missingColumns(List<String> columns, Violation hint) {
        List<Violation> missing = new ArrayList<>();
        for (FieldSpec f : metadata.inputSchema()) {
            if (!f.nullable() && !columns.contains(f.name())) {
                missing.add(new Violation(-1, f.name(), "required column is missing from the file"));
            }
        }
        if (missing.isEmpty()) {
            return null;
        }
        if (hint != null) {
            missing.add(hint);
        }
        return new BadInputException("the file lacks required columns", missing);
    }

    /**
     * Spark renames a header name given twice (ignoring letter case) to name + its position, so such
     * a file would only be refused as lacking the column. Only when a name ends in its position is
     * the header read as written, and a repeated name refused as such.
     */
    private void requireDistinct(String path, String[] header) {
        boolean renamed = false;
        for (int i = 0; i < header.length; i++) {
            String position = Integer.toString(i);
            renamed |= header[i].endsWith(position) && header[i].length() > position.length();
        }
        if (!renamed) {
            return;
        }
        List<Row> first = literal(spark).option("header", "false").csv(path).limit(1).collectAsList();
        if (first.isEmpty()) {
            return;
        }
        Row raw = first.get(0);
        Map<String, String> seen = new LinkedHashMap<>();
        List<Violation> repeated = new ArrayList<>();
        for (int i = 0; i < raw.length(); i++) {
            String name = raw.isNullAt(i) ? "" : raw.getString(i);
            if (name.isEmpty()) {
                continue;
            }
            String before = seen.putIfAbsent(name.toLowerCase(java.util.Locale.ROOT), name);
            if (before != null) {
                repeated.add(new Violation(-1, name, "column appears more than once in the header (as '" + before
                        + "' before; names must differ, ignoring letter case)"));
            }
        }
        if (!repeated.isEmpty()) {
            throw new BadInputException("the CSV header names a column more than once", repeated);
        }
    }

    /** CSV and Parquet: typed bundle fields in place, other columns as they are, absent fields appended. */
    private ValidatedInput validate(Dataset<Row> rows, StructType input, RecordValidator.Mode mode, FileFormat format,
                                    RowScoring scoring) {
        Map<String, FieldSpec> fields = new LinkedHashMap<>();
        metadata.inputSchema().forEach(f -> fields.put(f.name(), f));
        StructType out = new StructType();
        List<String> columns = new ArrayList<>();
        for (StructField c : input.fields()) {
            FieldSpec f = fields.get(c.name());
            out = out.add(f == null ? new StructField(c.name(), c.dataType(), true, Metadata.empty()) : f.sparkField(true));
            columns.add(c.name());
        }
        for (FieldSpec f : metadata.inputSchema()) {
            if (!columns.contains(f.name())) {
                out = out.add(f.sparkField(true));
                columns.add(f.name());
            }
        }
        out = withOutputs(out.add(ValidatedInput.ERRORS, DataTypes.StringType, true)
                .add(ValidatedInput.SOURCE, DataTypes.StringType, true), scoring);
        Dataset<Row> validated = rows.mapPartitions(
                new ValidateColumns(new RecordValidator(metadata.inputSchema(), mode, true), input.fieldNames(),
                        columns.toArray(String[]::new), typedIndexes(columns),
                        rows.schema().getFieldIndex(CORRUPT).isDefined(), scoring, out.size()),
                Encoders.row(out));
        return new ValidatedInput(validated, columns, format, outputs(scoring));
    }

    /** For each output column, its index among the bundle fields (the validator's output), or -1. */
    private int[] typedIndexes(List<String> columns) {
        List<String> fieldNames = metadata.inputSchema().stream().map(FieldSpec::name).toList();
        return columns.stream().mapToInt(fieldNames::indexOf).toArray();
    }

    static String errorsJson(List<Violation> violations) {
        List<Map<String, String>> errors = new ArrayList<>(violations.size());
        for (Violation v : violations) {
            Map<String, String> e = new LinkedHashMap<>();
            e.put("field", v.field());
            e.put("reason", v.reason());
            errors.add(e);
        }
        return toJson(errors);
    }

    static String toJson(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Validates rows that have named columns (CSV cells as text, Parquet values typed). */
    static final class ValidateColumns implements MapPartitionsFunction<Row, Row> {
        private final RecordValidator validator;
        private final String[] inputColumns;
        private final String[] outColumns;
        private final int[] typedIndex;
        private final boolean hasCorrupt;
        private final RowScoring scoring;
        private final int width;

        ValidateColumns(RecordValidator validator, String[] inputColumns, String[] outColumns, int[] typedIndex,
                        boolean hasCorrupt, RowScoring scoring, int width) {
            this.validator = validator;
            this.inputColumns = inputColumns;
            this.outColumns = outColumns;
            this.typedIndex = typedIndex;
            this.hasCorrupt = hasCorrupt;
            this.scoring = scoring;
            this.width = width;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            Map<String, Integer> index = new LinkedHashMap<>(inputColumns.length * 2);
            for (int i = 0; i < inputColumns.length; i++) {
                index.put(inputColumns[i], i);
            }
            return new Iterator<>() {
                private final List<Violation> violations = new ArrayList<>();

                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row row = rows.next();
                    Map<String, Object> record = new RowRecord(index, row);
                    violations.clear();
                    String corrupt = hasCorrupt ? row.getString(inputColumns.length) : null;
                    Object[] typed = null;
                    if (corrupt != null) {
                        violations.add(new Violation(0, null, "malformed CSV line: expected "
                                + inputColumns.length + " columns as in the header"));
                    } else {
                        for (int i = 0; i < inputColumns.length; i++) {
                            if (row.get(i) instanceof String cell && cell.indexOf(REPLACEMENT) >= 0) {
                                violations.add(new Violation(0, inputColumns[i], NOT_UTF8));
                            }
                        }
                        typed = validator.convert(0, record, violations);
                    }
                    Object[] values = new Object[width];
                    for (int i = 0; i < outColumns.length; i++) {
                        int field = typedIndex[i];
                        values[i] = field >= 0 ? (typed == null ? null : typed[field]) : record.get(outColumns[i]);
                    }
                    if (violations.isEmpty() && scoring != null) {
                        String refused = scoring.score(typed, values, outColumns.length + 2);
                        if (refused != null) {
                            violations.add(new Violation(0, null, refused));
                        }
                    }
                    if (!violations.isEmpty()) {
                        values[outColumns.length] = errorsJson(violations);
                        values[outColumns.length + 1] = corrupt != null ? toJson(corrupt) : toJson(record);
                    }
                    return RowFactory.create(values);
                }
            };
        }
    }

    /**
     * A row's columns as a read-only map by name, without copying them into a new map per row
     * (the validator reads each bundle field once). Same contents and order as a LinkedHashMap
     * filled column by column: a repeated header name keeps its first position and last value.
     */
    private static final class RowRecord extends AbstractMap<String, Object> {
        private final Map<String, Integer> index;
        private final Row row;

        RowRecord(Map<String, Integer> index, Row row) {
            this.index = index;
            this.row = row;
        }

        @Override
        public Object get(Object key) {
            Integer i = index.get(key);
            return i == null ? null : row.get(i);
        }

        @Override
        public boolean containsKey(Object key) {
            return index.containsKey(key);
        }

        @Override
        public int size() {
            return index.size();
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public Iterator<Entry<String, Object>> iterator() {
                    Iterator<Entry<String, Integer>> columns = index.entrySet().iterator();
                    return new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return columns.hasNext();
                        }

                        @Override
                        public Entry<String, Object> next() {
                            Entry<String, Integer> c = columns.next();
                            return new SimpleImmutableEntry<>(c.getKey(), row.get(c.getValue()));
                        }
                    };
                }

                @Override
                public int size() {
                    return index.size();
                }
            };
        }
    }

    /** Parses each line as one JSON record, exactly as the API parses a record. */
    static final class ValidateJsonLines implements MapPartitionsFunction<Row, Row> {
        private final RecordValidator validator;
        private final int fieldCount;
        private final RowScoring scoring;
        private final int width;

        ValidateJsonLines(RecordValidator validator, int fieldCount, RowScoring scoring, int width) {
            this.validator = validator;
            this.fieldCount = fieldCount;
            this.scoring = scoring;
            this.width = width;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> lines) {
            return new Iterator<>() {
                private final List<Violation> violations = new ArrayList<>();

                @Override
                public boolean hasNext() {
                    return lines.hasNext();
                }

                @Override
                public Row next() {
                    String line = lines.next().getString(0);
                    if (line.startsWith(BOM)) { // a UTF-8 byte order mark: the first line of a Windows-made file
                        line = line.substring(1);
                    }
                    violations.clear();
                    Object[] values = new Object[width];
                    Object record;
                    try {
                        if (line.indexOf(REPLACEMENT) >= 0) {
                            violations.add(new Violation(0, null, NOT_UTF8));
                            throw new NotUtf8();
                        }
                        record = Json.MAPPER.readValue(line, Object.class);
                    } catch (NotUtf8 e) {
                        values[fieldCount] = errorsJson(violations);
                        values[fieldCount + 1] = toJson(line);
                        return RowFactory.create(values);
                    } catch (JsonProcessingException e) {
                        // A second value on the line is refused too: scoring only the first would drop a record.
                        violations.add(new Violation(0, null, "malformed JSON: " + Json.problem(e)));
                        values[fieldCount] = errorsJson(violations);
                        values[fieldCount + 1] = toJson(line);
                        return RowFactory.create(values);
                    }
                    Object[] typed = validator.convertAny(0, record, violations);
                    if (typed != null) {
                        System.arraycopy(typed, 0, values, 0, fieldCount);
                        String refused = scoring == null ? null : scoring.score(typed, values, fieldCount + 2);
                        if (refused != null) {
                            violations.add(new Violation(0, null, refused));
                            values[fieldCount] = errorsJson(violations);
                        }
                    } else {
                        values[fieldCount] = errorsJson(violations);
                    }
                    values[fieldCount + 1] = line;
                    return RowFactory.create(values);
                }
            };
        }
    }
}
