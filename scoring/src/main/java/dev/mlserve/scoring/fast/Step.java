package dev.mlserve.scoring.fast;

/** One compiled pipeline stage: reads input slots of a row and writes its output slots. */
@FunctionalInterface
interface Step {
    /**
     * @throws Fallback when Spark would fail on this row (a handleInvalid "error" case, a null
     *     Spark cannot take): the whole request then goes through {@code transform}
     */
    void apply(Object[] row);
}
