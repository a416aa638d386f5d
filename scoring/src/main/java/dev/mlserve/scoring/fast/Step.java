package dev.mlserve.scoring.fast;

import java.io.Serializable;

/**
 * One compiled pipeline stage: reads input slots of a row and writes its output slots.
 * Serializable (so the steps' lambdas are too) because file scoring ships the compiled pipeline
 * to Spark tasks; whatever a step captures must be serializable (arrays, maps, Spark's models).
 */
@FunctionalInterface
interface Step extends Serializable {
    /**
     * @throws Fallback when Spark would fail on this row (a handleInvalid "error" case, a null
     *     Spark cannot take): the whole request then goes through {@code transform}
     */
    void apply(Object[] row);
}
