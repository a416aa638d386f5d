package dev.mlserve.scoring.fast;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorSizeHint;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The records a bundle's fast path is checked on at load (docs/model-bundle.md, samples.jsonl):
 * written into new bundles from training data, else synthesized from the input schema and the
 * pipeline's own categories and bucket splits, with nulls, unseen categories and edge values.
 */
public final class SampleRecords {
    /** The optional bundle file: one JSON record per line, as a predict request carries them. */
    public static final String FILE = dev.mlserve.scoring.bundle.Bundle.SAMPLES_FILE;
    /** How many records writers keep and synthesis makes. */
    public static final int DEFAULT_COUNT = 200;
    /** A category no fitted indexer has seen. */
    static final String UNSEEN = "__mlserve_unseen__";
    private static final TypeReference<LinkedHashMap<String, Object>> RECORD = new TypeReference<>() { };
    /** The size of a synthetic vector when no stage of the pipeline tells it. */
    private static final int DEFAULT_VECTOR_SIZE = 3;
    private static final double[] EDGES = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-9, 1e9, -1e9, 123456.789};

    private SampleRecords() {
    }

    /** The bundle's samples.jsonl, when it has one. */
    public static Optional<List<Map<String, Object>>> read(Path bundleDirectory) {
        Path file = bundleDirectory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return Optional.of(parse(lines, file.toString()));
    }

    /** The records of a samples.jsonl read elsewhere (through Hadoop paths, say); {@code where} names it in errors. */
    public static List<Map<String, Object>> parse(List<String> lines, String where) {
        List<Map<String, Object>> records = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            try {
                records.add(Json.MAPPER.readValue(lines.get(i), RECORD));
            } catch (IOException e) {
                // The message would quote the record: name the line only.
                throw new IllegalArgumentException(where + " line " + (i + 1) + " is not a JSON object");
            }
        }
        return records;
    }

    /**
     * Up to {@code count} rows of a data set (training data, say), the schema's fields only, as
     * JSON-ready records: a seeded random sample of the whole set.
     */
    public static List<Map<String, Object>> fromData(Dataset<Row> data, List<FieldSpec> schema, int count, long seed) {
        long total = data.count();
        if (total == 0) {
            return List.of();
        }
        double fraction = Math.min(1.0, 2.0 * count / total);
        String[] names = schema.stream().map(FieldSpec::name).toArray(String[]::new);
        List<Row> rows = data.selectExpr(names).sample(false, fraction, seed).limit(count).collectAsList();
        List<Map<String, Object>> records = new ArrayList<>(rows.size());
        for (Row row : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < names.length; i++) {
                m.put(names[i], dev.mlserve.scoring.schema.RecordValidator.jsonForm(row.get(i)));
            }
            records.add(m);
        }
        return records;
    }

    /**
     * Records made from the input schema: strings drawn from the categories the pipeline's
     * StringIndexers learned (plus an unseen one), numbers from its bucket splits, small integers,
     * zeros (which make sparse vectors), signs and extremes; null often where a field is nullable.
     */
    public static List<Map<String, Object>> synthetic(List<FieldSpec> schema, PipelineModel model, int count,
                                                      long seed) {
        Map<String, List<String>> categories = new HashMap<>();
        Map<String, List<Double>> splits = new HashMap<>();
        Map<String, Integer> vectorSizes = new HashMap<>();
        collect(model, categories, splits, vectorSizes);
        Random r = new Random(seed);
        List<Map<String, Object>> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (FieldSpec f : schema) {
                boolean useNull = f.nullable() && r.nextInt(8) == 0;
                m.put(f.name(), useNull ? null : value(f, r, categories.get(f.name()), splits.get(f.name()),
                        f.size() != null ? f.size() : vectorSizes.getOrDefault(f.name(), DEFAULT_VECTOR_SIZE)));
            }
            records.add(m);
        }
        return records;
    }

    private static Object value(FieldSpec f, Random r, List<String> categories, List<Double> splits,
                                int vectorSize) {
        switch (f.type()) {
            case STRING:
                if (categories == null || categories.isEmpty() || r.nextInt(10) == 0) {
                    return r.nextBoolean() ? UNSEEN : "s" + r.nextInt(5);
                }
                return categories.get(r.nextInt(categories.size()));
            case BOOLEAN:
                return r.nextBoolean();
            case INT:
                return r.nextInt(6) == 0 ? (r.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE) : r.nextInt(21) - 5;
            case LONG:
                return r.nextInt(6) == 0 ? (long) r.nextInt() * 1000L : (long) (r.nextInt(21) - 5);
            case VECTOR: {
                double[] v = new double[vectorSize];
                for (int i = 0; i < v.length; i++) {
                    v[i] = r.nextInt(3) == 0 ? 0.0 : number(r, null);
                }
                return v;
            }
            case ARRAY_STRING: {
                List<String> words = new ArrayList<>();
                int n = r.nextInt(6);
                for (int i = 0; i < n; i++) {
                    words.add(categories != null && !categories.isEmpty() && r.nextBoolean()
                            ? categories.get(r.nextInt(categories.size())) : "w" + r.nextInt(8));
                }
                return words;
            }
            case ARRAY_DOUBLE: {
                List<Double> values = new ArrayList<>();
                int n = r.nextInt(6);
                for (int i = 0; i < n; i++) {
                    values.add(number(r, splits));
                }
                return values;
            }
            case DATE:
                return java.time.LocalDate.ofEpochDay(r.nextInt(40_000) - 10_000).toString();
            case TIMESTAMP:
                return java.time.Instant.ofEpochSecond(r.nextInt(2_000_000_000) - 500_000_000L,
                        r.nextInt(1000) * 1_000_000L).toString();
            default:
                double d = number(r, splits);
                return f.type() == dev.mlserve.scoring.bundle.FieldType.FLOAT ? (double) (float) d : d;
        }
    }

    private static double number(Random r, List<Double> splits) {
        int pick = r.nextInt(10);
        if (pick == 0 && splits != null && !splits.isEmpty()) {
            return splits.get(r.nextInt(splits.size()));
        }
        if (pick <= 2) {
            return EDGES[r.nextInt(EDGES.length)];
        }
        if (pick <= 5) {
            return r.nextInt(100);
        }
        return r.nextGaussian() * Math.pow(10, r.nextInt(5));
    }

    /**
     * Categories by StringIndexer input column, finite splits by Bucketizer input column, vector
     * sizes by the column a VectorSizeHint or a predictor reads.
     */
    private static void collect(PipelineModel model, Map<String, List<String>> categories,
                                Map<String, List<Double>> splits, Map<String, Integer> vectorSizes) {
        for (Transformer stage : model.stages()) {
            if (stage instanceof PipelineModel nested) {
                collect(nested, categories, splits, vectorSizes);
            } else if (stage instanceof VectorSizeHint hint && hint.isDefined(hint.size())) {
                vectorSizes.putIfAbsent(hint.getInputCol(), hint.getSize());
            } else if (stage instanceof PredictionModel<?, ?> predictor) {
                vectorSizes.putIfAbsent(predictor.getFeaturesCol(), predictor.numFeatures());
            } else if (stage instanceof StringIndexerModel m) {
                String[] inputs = m.isSet(m.inputCols()) ? m.getInputCols() : new String[] {m.getInputCol()};
                for (int i = 0; i < inputs.length; i++) {
                    Set<String> values = new LinkedHashSet<>(categories.getOrDefault(inputs[i], List.of()));
                    Collections.addAll(values, m.labelsArray()[i]);
                    categories.put(inputs[i], new ArrayList<>(values));
                }
            } else if (stage instanceof Bucketizer b) {
                boolean multi = b.isSet(b.inputCols());
                String[] inputs = multi ? b.getInputCols() : new String[] {b.getInputCol()};
                double[][] all = multi ? b.getSplitsArray() : new double[][] {b.getSplits()};
                for (int i = 0; i < inputs.length; i++) {
                    List<Double> finite = splits.computeIfAbsent(inputs[i], k -> new ArrayList<>());
                    for (double s : all[i]) {
                        if (Double.isFinite(s)) {
                            finite.add(s);
                        }
                    }
                }
            }
        }
    }
}
