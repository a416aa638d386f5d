package dev.mlserve.scoring.io;

import dev.mlserve.scoring.fast.Fallback;
import dev.mlserve.scoring.fast.FastPipeline;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The fast path inside the validation pass: each valid row is scored by a {@link FastPipeline}
 * in the same task that validated it, so file scoring needs no DataFrame transform. Travels to
 * Spark tasks inside the validation function.
 */
final class RowScoring implements Serializable {
    private static final long serialVersionUID = 1L;
    static final String FAULT = "mlserve fast path fault";

    private final FastPipeline pipeline;
    private final int[] slots;
    private final StructType outputs;

    /**
     * @param outputs the output columns with the Spark types, nullability and metadata that
     *     {@code transform} gives them, so the written files are the same
     */
    RowScoring(FastPipeline pipeline, StructType outputs) {
        this.pipeline = pipeline;
        this.outputs = outputs;
        this.slots = pipeline.slots(List.of(outputs.fieldNames()));
    }

    /** The output columns as transform types them (the files must say the same). */
    StructType outputs() {
        return outputs;
    }

    /** The output columns as the validation pass holds them: nullable (rejected rows have none). */
    StructType encoded() {
        StructType encoded = new StructType();
        for (StructField f : outputs.fields()) {
            encoded = encoded.add(f.name(), f.dataType(), true);
        }
        return encoded;
    }

    /**
     * Scores one valid row into {@code values[from ...]}.
     *
     * @param typed the bundle fields in input-schema order, as RecordValidator converts them
     * @return null, or why the row cannot be scored (where Spark's transform would fail the job)
     * @throws Fault when the fast path itself fails (not a property of the row)
     */
    String score(Object[] typed, Object[] values, int from) {
        Object[] row;
        try {
            row = pipeline.evaluate(typed);
        } catch (Fallback e) {
            return "the model cannot score this row: " + e.getMessage();
        } catch (RuntimeException e) {
            throw new Fault(e);
        }
        for (int i = 0; i < slots.length; i++) {
            values[from + i] = row[slots[i]];
        }
        return null;
    }

    /** True when the failure came from the fast path itself, so transform may score the file instead. */
    static boolean isFault(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Fault || t.getMessage() != null && t.getMessage().contains(FAULT)) {
                return true;
            }
        }
        return false;
    }

    /** A fault of the fast path (a bug, never a bad row): the file is scored again through transform. */
    static final class Fault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Fault(RuntimeException cause) {
            super(FAULT + ": " + cause, cause);
        }
    }
}
