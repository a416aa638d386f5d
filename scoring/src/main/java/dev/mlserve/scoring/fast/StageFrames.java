package dev.mlserve.scoring.fast;

import java.util.List;
import java.util.Optional;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.Row;

/** The rows of a stage's DataFrame-valued field, when they are at hand without Spark (a snapshot). */
interface StageFrames {
    StageFrames NONE = (stage, field) -> Optional.empty();

    Optional<List<Row>> rows(Transformer stage, String field);
}
