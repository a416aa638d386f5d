package dev.mlserve.scoring.io;

import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.OutputValues;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Writes one result folder: {@code scored/}, {@code rejected.jsonl}, {@code _manifest.json} (last). */
final class OutputWriter {
    static final String SCORED = "scored";
    static final String REJECTED = "rejected.jsonl";
    private static final String REJECTED_TMP = "_rejected_tmp";

    private final SparkSession spark;
    private final Path root;
    private final FileSystem fs;

    OutputWriter(SparkSession spark, Path root) {
        this.spark = spark;
        try {
            this.fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            this.root = fs.makeQualified(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open output " + root, e);
        }
    }

    Manifest.Output outputLocations() {
        return new Manifest.Output(new Path(root, SCORED).toString() + "/", new Path(root, REJECTED).toString());
    }

    /** Removes a previous result, manifest first, so nothing half-replaced looks complete. */
    void clear() {
        try {
            fs.delete(new Path(root, Manifest.FILE_NAME), false);
            fs.delete(new Path(root, REJECTED), false);
            fs.delete(new Path(root, REJECTED_TMP), true);
            fs.delete(new Path(root, SCORED), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear output " + root, e);
        }
    }

    void writeScored(Dataset<Row> scored, FileFormat format, List<String> outputs, OutputLayout layout) {
        writeScored(scored, format, outputs, layout, UnaryOperator.identity());
    }

    /**
     * @param inFinalStage applied right after the layout, in the stage that writes (a shuffle of
     *     the layout comes before it): where rows can be counted exactly once and dropped; vectors
     *     become arrays after it
     */
    void writeScored(Dataset<Row> scored, FileFormat format, List<String> outputs, OutputLayout layout,
                     UnaryOperator<Dataset<Row>> inFinalStage) {
        String target = new Path(root, SCORED).toString();
        Dataset<Row> plain = vectorsToArrays(inFinalStage.apply(layout.apply(scored)), outputs);
        switch (format) {
            case CSV -> nestedToJson(plain).write().mode(SaveMode.Overwrite).option("header", "true").csv(target);
            case PARQUET -> plain.write().mode(SaveMode.Overwrite).parquet(target);
            case JSONL -> {
                plain.mapPartitions(new MergeIntoSource(outputs, plain.schema()), Encoders.STRING())
                        .write().mode(SaveMode.Overwrite).text(target);
                renameParts(new Path(target), ".txt", ".jsonl");
            }
            default -> throw new IllegalArgumentException(format.name());
        }
    }

    /** Bad rows as one JSON Lines file: {"row": original record, "errors": [{field, reason}]}. */
    void writeRejected(Dataset<Row> rejectedRows, long count, OutputLayout oneFile) {
        Path target = new Path(root, REJECTED);
        try {
            if (count == 0) {
                fs.create(target, true).close();
                return;
            }
            Path tmp = new Path(root, REJECTED_TMP);
            oneFile.apply(rejectedRows.select(org.apache.spark.sql.functions.concat(
                            org.apache.spark.sql.functions.lit("{\"row\":"),
                            org.apache.spark.sql.functions.col(ValidatedInput.SOURCE),
                            org.apache.spark.sql.functions.lit(",\"errors\":"),
                            org.apache.spark.sql.functions.col(ValidatedInput.ERRORS),
                            org.apache.spark.sql.functions.lit("}"))))
                    .write().mode(SaveMode.Overwrite).text(tmp.toString());
            FileStatus[] parts = parts(tmp, "");
            if (parts == null || parts.length != 1) {
                throw new IOException("expected one rejected part file under " + tmp);
            }
            if (!fs.rename(parts[0].getPath(), target)) {
                throw new IOException("cannot move " + parts[0].getPath() + " to " + target);
            }
            fs.delete(tmp, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    /** Written under a temporary name and renamed, so a reader never sees half a manifest. */
    void writeManifest(Manifest manifest) {
        Path target = new Path(root, Manifest.FILE_NAME);
        Path tmp = new Path(root, "." + Manifest.FILE_NAME + ".tmp");
        try {
            try (OutputStream out = fs.create(tmp, true)) {
                out.write(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
            }
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) {
                throw new IOException("cannot move " + tmp + " to " + target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    /**
     * The part files Spark wrote into {@code dir} ending in {@code suffix}. Listed, not globbed: the
     * result folder is named after the upload, whose name may hold glob characters.
     */
    private FileStatus[] parts(Path dir, String suffix) throws IOException {
        return fs.listStatus(dir, p -> p.getName().startsWith("part-") && p.getName().endsWith(suffix));
    }

    private void renameParts(Path dir, String from, String to) {
        try {
            for (FileStatus part : parts(dir, from)) {
                String name = part.getPath().getName();
                fs.rename(part.getPath(), new Path(dir, name.substring(0, name.length() - from.length()) + to));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename part files in " + dir, e);
        }
    }

    /** ML vectors become arrays of doubles (exactly the vector's values). */
    private static Dataset<Row> vectorsToArrays(Dataset<Row> df, List<String> outputs) {
        Dataset<Row> out = df;
        for (StructField f : df.schema().fields()) {
            if (outputs.contains(f.name()) && f.dataType().equals(SQLDataTypes.VectorType())) {
                out = out.withColumn(f.name(), functions.vector_to_array(new Column(f.name()), "float64"));
            }
        }
        return out;
    }

    /**
     * CSV has no nested types: arrays, maps and structs become JSON strings, and an input vector
     * the JSON array of its values (a form the bundle reads back).
     */
    private static Dataset<Row> nestedToJson(Dataset<Row> df) {
        Dataset<Row> out = df;
        for (StructField f : df.schema().fields()) {
            if (f.dataType().equals(SQLDataTypes.VectorType())) { // an input vector passed through: its values
                out = out.withColumn(f.name(), org.apache.spark.sql.functions.to_json(
                        functions.vector_to_array(new Column(f.name()), "float64")));
            } else if (f.dataType() instanceof ArrayType || f.dataType() instanceof MapType
                    || f.dataType() instanceof StructType) {
                out = out.withColumn(f.name(), org.apache.spark.sql.functions.to_json(new Column(f.name())));
            }
        }
        return out;
    }

    /** JSON Lines out: the original object of each line, plus the output columns. */
    private static final class MergeIntoSource implements MapPartitionsFunction<Row, String> {
        private final List<String> outputs;
        private final int sourceIndex;
        private final int[] outputIndexes;

        MergeIntoSource(List<String> outputs, StructType schema) {
            this.outputs = new ArrayList<>(outputs);
            this.sourceIndex = schema.fieldIndex(ValidatedInput.SOURCE);
            this.outputIndexes = outputs.stream().mapToInt(schema::fieldIndex).toArray();
        }

        @Override
        public Iterator<String> call(Iterator<Row> rows) {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                @SuppressWarnings("unchecked")
                public String next() {
                    Row row = rows.next();
                    try {
                        Map<String, Object> record = Json.MAPPER.readValue(row.getString(sourceIndex),
                                LinkedHashMap.class);
                        for (int i = 0; i < outputIndexes.length; i++) {
                            record.put(outputs.get(i), OutputValues.toJsonReady(row.get(outputIndexes[i])));
                        }
                        return Json.MAPPER.writeValueAsString(record);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }
    }
}
