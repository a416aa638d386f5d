package dev.mlserve.scoring.fast;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.ml.feature.ImputerModel;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.OneHotEncoderModel;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;

/**
 * Row-level equivalents of Spark 3.5's feature transformers, built from the fitted stage objects.
 * Each reproduces what the stage's {@code transform} does per row: the casts it applies to its
 * input columns, its null and handleInvalid behaviour, and the exact vector type it outputs.
 */
final class FeatureSteps {
    private static final String KEEP = "keep";
    private static final String ERROR = "error";

    private FeatureSteps() {
    }

    /**
     * StringIndexerModel: input cast to string; a label maps to its index in labelsArray; null or
     * unseen gives labels.length with "keep", an error with "error"; "skip" (drops rows) is refused.
     */
    static Step stringIndexer(StringIndexerModel m, Layout layout) {
        String handle = invalidMode(m.getHandleInvalid(), m);
        String[][] cols = inOut(m, m.inputCols());
        String[][] labelsArray = m.labelsArray();
        int n = cols[0].length;
        int[] in = new int[n];
        int[] out = new int[n];
        List<Map<String, Double>> indexes = new ArrayList<>();
        Double[] unknown = new Double[n];
        for (int i = 0; i < n; i++) {
            DataType type = layout.type(cols[0][i]);
            if (!Casts.castsToStringExactly(type)) {
                throw new UnsupportedStage("input column '" + cols[0][i] + "' of type " + type.simpleString());
            }
            in[i] = layout.slot(cols[0][i]);
            Map<String, Double> index = new HashMap<>();
            String[] labels = labelsArray[i];
            for (int j = 0; j < labels.length; j++) {
                index.put(labels[j], (double) j);
            }
            indexes.add(index);
            unknown[i] = (double) labels.length;
        }
        for (int i = 0; i < n; i++) {
            out[i] = layout.output(cols[1][i]);
        }
        boolean keep = handle.equals(KEEP);
        return row -> {
            Object[] results = new Object[n];
            for (int i = 0; i < n; i++) {
                String label = Casts.toText(row[in[i]]);
                Double idx = label == null ? null : indexes.get(i).get(label);
                if (idx == null) {
                    if (!keep) {
                        throw new Fallback("StringIndexer: null or unseen label with handleInvalid=error");
                    }
                    idx = unknown[i];
                }
                results[i] = idx;
            }
            for (int i = 0; i < n; i++) {
                row[out[i]] = results[i];
            }
        };
    }

    /**
     * OneHotEncoderModel: input cast to double, null stays null; a valid index i gives
     * sparse(size, [i], [1.0]) and the dropped or invalid-bucket category an empty sparse vector,
     * sizes as the model configures them from categorySizes, dropLast and handleInvalid.
     */
    static Step oneHotEncoder(OneHotEncoderModel m, Layout layout) {
        String handle = invalidMode(m.getHandleInvalid(), m);
        boolean keep = handle.equals(KEEP);
        boolean dropLast = m.getDropLast();
        String[][] cols = inOut(m, m.inputCols());
        int n = cols[0].length;
        int[] categorySizes = m.categorySizes();
        int[] sizes = new int[n];
        int[] in = new int[n];
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            requireDoubleCast(layout, cols[0][i]);
            in[i] = layout.slot(cols[0][i]);
            sizes[i] = dropLast && !keep ? categorySizes[i] - 1
                    : !dropLast && keep ? categorySizes[i] + 1 : categorySizes[i];
        }
        for (int i = 0; i < n; i++) {
            out[i] = layout.output(cols[1][i]);
            layout.vectorSize(cols[1][i], sizes[i]);
        }
        return row -> {
            Object[] results = new Object[n];
            for (int i = 0; i < n; i++) {
                Double label = Casts.toDouble(row[in[i]]);
                if (label == null) {
                    continue;
                }
                double l = label;
                double idx;
                if (l >= 0 && l < categorySizes[i]) {
                    idx = l;
                } else if (keep) {
                    idx = categorySizes[i];
                } else {
                    throw new Fallback("OneHotEncoder: invalid index with handleInvalid=error");
                }
                results[i] = idx < sizes[i]
                        ? Vectors.sparse(sizes[i], new int[] {(int) idx}, new double[] {1.0})
                        : Vectors.sparse(sizes[i], new int[0], new double[0]);
            }
            for (int i = 0; i < n; i++) {
                row[out[i]] = results[i];
            }
        };
    }

    /**
     * ImputerModel: {@code when(cast(x as double) is null, s).when(x = missingValue, s).otherwise(x)}
     * cast back to the input's type; SQL equality, so NaN equals NaN and 0.0 equals -0.0.
     */
    static Step imputer(ImputerModel m, Layout layout, StageFrames frames) {
        String[][] cols = inOut(m, m.inputCols());
        int n = cols[0].length;
        // a snapshot-read model has its surrogate row at hand: no DataFrame, no Spark job
        Row surrogateRow = frames.rows(m, "surrogateDF").map(rows -> rows.get(0))
                .orElseGet(() -> m.surrogateDF().head());
        double missing = m.getMissingValue();
        int[] in = new int[n];
        int[] out = new int[n];
        double[] surrogates = new double[n];
        DataType[] types = new DataType[n];
        for (int i = 0; i < n; i++) {
            requireDoubleCast(layout, cols[0][i]);
            in[i] = layout.slot(cols[0][i]);
            types[i] = layout.type(cols[0][i]);
            Casts.fromDouble(0.0, types[i]); // refuses types it cannot cast back to
            int at = surrogateRow.fieldIndex(cols[0][i]);
            if (surrogateRow.isNullAt(at)) {
                throw new UnsupportedStage("no surrogate for '" + cols[0][i] + "'");
            }
            surrogates[i] = surrogateRow.getDouble(at);
        }
        for (int i = 0; i < n; i++) {
            out[i] = layout.output(cols[1][i]);
        }
        boolean missingIsNaN = Double.isNaN(missing);
        return row -> {
            Object[] results = new Object[n];
            for (int i = 0; i < n; i++) {
                Double x = Casts.toDouble(row[in[i]]);
                double v;
                if (x == null) {
                    v = surrogates[i];
                } else if (missingIsNaN ? Double.isNaN(x) : x == missing) {
                    v = surrogates[i];
                } else {
                    v = x;
                }
                results[i] = Casts.fromDouble(v, types[i]);
            }
            for (int i = 0; i < n; i++) {
                row[out[i]] = results[i];
            }
        };
    }

    /**
     * Bucketizer: input cast to double, null stays null; NaN goes to the extra bucket with "keep",
     * the value equal to the last split to the last bucket, others by binary search over the splits;
     * values out of bounds or NaN without "keep" are errors in Spark. "skip" is refused.
     */
    static Step bucketizer(Bucketizer b, Layout layout) {
        String handle = invalidMode(b.getHandleInvalid(), b);
        boolean keep = handle.equals(KEEP);
        boolean multi = b.isSet(b.inputCols());
        String[][] cols = multi ? new String[][] {b.getInputCols(), b.getOutputCols()}
                : new String[][] {{b.getInputCol()}, {b.getOutputCol()}};
        double[][] splits = multi ? b.getSplitsArray() : new double[][] {b.getSplits()};
        int n = cols[0].length;
        int[] in = new int[n];
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            requireDoubleCast(layout, cols[0][i]);
            in[i] = layout.slot(cols[0][i]);
        }
        for (int i = 0; i < n; i++) {
            out[i] = layout.output(cols[1][i]);
        }
        return row -> {
            Object[] results = new Object[n];
            for (int i = 0; i < n; i++) {
                Double x = Casts.toDouble(row[in[i]]);
                results[i] = x == null ? null : bucket(splits[i], x, keep);
            }
            for (int i = 0; i < n; i++) {
                row[out[i]] = results[i];
            }
        };
    }

    private static double bucket(double[] splits, double feature, boolean keep) {
        if (Double.isNaN(feature)) {
            if (keep) {
                return splits.length - 1;
            }
            throw new Fallback("Bucketizer: NaN with handleInvalid=error");
        }
        if (feature == splits[splits.length - 1]) {
            return splits.length - 2;
        }
        int idx = Arrays.binarySearch(splits, feature);
        if (idx >= 0) {
            return idx;
        }
        int insertPos = -idx - 1;
        if (insertPos == 0 || insertPos == splits.length) {
            throw new Fallback("Bucketizer: value out of the splits' bounds");
        }
        return insertPos - 1;
    }

    /**
     * VectorAssembler: numbers and booleans cast to double, vectors taken by their active entries;
     * zeros dropped; null (and NaN) kept as NaN over the column's size with "keep", errors with
     * "error"; the result is {@code Vectors.sparse(...).compressed}, dense or sparse by size as in
     * Spark. "skip" is refused.
     */
    static Step vectorAssembler(VectorAssembler a, Layout layout) {
        String handle = invalidMode(a.getHandleInvalid(), a);
        boolean keep = handle.equals(KEEP);
        String[] cols = a.getInputCols();
        int n = cols.length;
        int[] in = new int[n];
        int[] lengths = new int[n];
        boolean[] isVector = new boolean[n];
        for (int i = 0; i < n; i++) {
            DataType type = layout.type(cols[i]);
            in[i] = layout.slot(cols[i]);
            if (type instanceof VectorUDT) {
                isVector[i] = true;
                lengths[i] = layout.vectorSize(cols[i]);
                if (lengths[i] < 0 && keep) {
                    throw new UnsupportedStage("size of vector column '" + cols[i] + "' is not known");
                }
            } else if (Casts.castsToDouble(type)) {
                lengths[i] = 1;
            } else {
                throw new UnsupportedStage("input column '" + cols[i] + "' of type " + type.simpleString());
            }
        }
        int out = layout.output(a.getOutputCol());
        int total = 0;
        for (int i = 0; i < n; i++) {
            total = total < 0 || lengths[i] < 0 ? -1 : total + lengths[i];
        }
        if (total >= 0) {
            layout.vectorSize(a.getOutputCol(), total);
        }
        return row -> {
            int capacity = 0;
            for (int i = 0; i < n; i++) {
                Object v = row[in[i]];
                capacity += v instanceof Vector vec ? vec.size() : v == null ? Math.max(lengths[i], 0) : 1;
            }
            int[] indices = new int[capacity];
            double[] values = new double[capacity];
            int nnz = 0;
            int feature = 0;
            for (int i = 0; i < n; i++) {
                Object v = row[in[i]];
                if (v == null) {
                    if (!keep) {
                        throw new Fallback("VectorAssembler: null with handleInvalid=error");
                    }
                    for (int k = 0; k < lengths[i]; k++) {
                        indices[nnz] = feature + k;
                        values[nnz++] = Double.NaN;
                    }
                    feature += lengths[i];
                } else if (isVector[i]) {
                    Vector vec = (Vector) v;
                    if (vec instanceof DenseVector d) {
                        double[] dv = d.values();
                        for (int k = 0; k < dv.length; k++) {
                            if (dv[k] != 0.0) {
                                indices[nnz] = feature + k;
                                values[nnz++] = dv[k];
                            }
                        }
                    } else if (vec instanceof SparseVector s) {
                        int[] si = s.indices();
                        double[] sv = s.values();
                        for (int k = 0; k < sv.length; k++) {
                            if (sv[k] != 0.0) {
                                indices[nnz] = feature + si[k];
                                values[nnz++] = sv[k];
                            }
                        }
                    } else {
                        throw new Fallback("VectorAssembler: unknown vector type");
                    }
                    feature += vec.size();
                } else {
                    double d = Casts.toDouble(v);
                    if (Double.isNaN(d) && !keep) {
                        throw new Fallback("VectorAssembler: NaN with handleInvalid=error");
                    }
                    if (d != 0.0) {
                        indices[nnz] = feature;
                        values[nnz++] = d;
                    }
                    feature += 1;
                }
            }
            row[out] = Vectors.sparse(feature, Arrays.copyOf(indices, nnz), Arrays.copyOf(values, nnz)).compressed();
        };
    }

    /**
     * StandardScalerModel: scale = 1/std (0 where std is 0), shift = mean. With the mean: a dense
     * result of (x - mean) * scale or x - mean. With std only: dense stays dense, sparse stays
     * sparse with the same indices (zeros kept as stored). Neither: the input vector itself.
     */
    static Step standardScaler(StandardScalerModel m, Layout layout) {
        if (!(layout.type(m.getInputCol()) instanceof VectorUDT)) {
            throw new UnsupportedStage("input column is not a vector");
        }
        int in = layout.slot(m.getInputCol());
        int out = layout.output(m.getOutputCol());
        layout.vectorSize(m.getOutputCol(), m.std().size());
        boolean withMean = m.getWithMean();
        boolean withStd = m.getWithStd();
        double[] shift = withMean ? m.mean().toArray() : new double[0];
        double[] scale = new double[0];
        if (withStd) {
            scale = m.std().toArray().clone();
            for (int i = 0; i < scale.length; i++) {
                scale[i] = scale[i] == 0 ? 0.0 : 1.0 / scale[i];
            }
        }
        double[] sc = scale;
        return row -> {
            Object v = row[in];
            if (!(v instanceof DenseVector) && !(v instanceof SparseVector)) {
                throw new Fallback("StandardScaler: input is not a dense or sparse vector");
            }
            Vector vec = (Vector) v;
            if (withMean) {
                double[] values = vec instanceof DenseVector d ? d.values().clone() : vec.toArray();
                for (int i = 0; i < values.length; i++) {
                    values[i] = withStd ? (values[i] - shift[i]) * sc[i] : values[i] - shift[i];
                }
                row[out] = Vectors.dense(values);
            } else if (withStd) {
                if (vec instanceof DenseVector d) {
                    double[] values = d.values().clone();
                    for (int i = 0; i < values.length; i++) {
                        values[i] *= sc[i];
                    }
                    row[out] = Vectors.dense(values);
                } else {
                    SparseVector s = (SparseVector) vec;
                    int[] idx = s.indices();
                    double[] values = s.values().clone();
                    for (int i = 0; i < values.length; i++) {
                        values[i] *= sc[idx[i]];
                    }
                    row[out] = Vectors.sparse(s.size(), idx, values);
                }
            } else {
                row[out] = vec;
            }
        };
    }

    /** IndexToString with explicit labels: index cast to double, truncated to int; null stays null. */
    static Step indexToString(IndexToString s, Layout layout) {
        String[] labels = s.isDefined(s.labels()) ? s.getLabels() : null;
        if (labels == null || labels.length == 0) {
            throw new UnsupportedStage("labels taken from column metadata");
        }
        requireDoubleCast(layout, s.getInputCol());
        int in = layout.slot(s.getInputCol());
        int out = layout.output(s.getOutputCol());
        return row -> {
            Double index = Casts.toDouble(row[in]);
            if (index == null) {
                row[out] = null;
                return;
            }
            int idx = (int) index.doubleValue();
            if (idx < 0 || idx >= labels.length) {
                throw new Fallback("IndexToString: unseen index");
            }
            row[out] = labels[idx];
        };
    }

    private static String invalidMode(String handle, Params stage) {
        if (!handle.equals(KEEP) && !handle.equals(ERROR)) {
            throw new UnsupportedStage("handleInvalid=" + handle);
        }
        return handle;
    }

    private static void requireDoubleCast(Layout layout, String column) {
        DataType type = layout.type(column);
        if (!Casts.castsToDouble(type)) {
            throw new UnsupportedStage("input column '" + column + "' of type " + type.simpleString());
        }
    }

    /** [inputs, outputs]: the multi-column params when set, else the single ones. */
    private static String[][] inOut(Params p, StringArrayParam inputCols) {
        if (p.isSet(inputCols)) {
            return new String[][] {
                (String[]) p.getOrDefault(inputCols),
                (String[]) p.getOrDefault(p.getParam("outputCols"))
            };
        }
        return new String[][] {
            {(String) p.getOrDefault(p.getParam("inputCol"))},
            {(String) p.getOrDefault(p.getParam("outputCol"))}
        };
    }
}
