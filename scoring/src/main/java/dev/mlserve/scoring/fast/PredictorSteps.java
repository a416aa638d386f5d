package dev.mlserve.scoring.fast;

import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.param.Param;

/**
 * Final models through their own per-row methods, in the order their {@code transform} calls them,
 * so every output is bit-identical to Spark's.
 */
final class PredictorSteps {
    private PredictorSteps() {
    }

    /**
     * ProbabilisticClassificationModel.transform: rawPrediction = predictRaw(features); probability
     * = raw2probability(rawPrediction) when there is a raw column, else predictProbability(features);
     * prediction = raw2prediction(rawPrediction), else probability2prediction(probability), else
     * predict(features). Thresholds are applied by the model's own methods.
     */
    @SuppressWarnings("unchecked")
    static Step probabilisticClassifier(ProbabilisticClassificationModel<?, ?> model, Layout layout) {
        refuseNonEmpty(model, "leafCol");
        ProbabilisticClassificationModel<Vector, ?> m = (ProbabilisticClassificationModel<Vector, ?>) model;
        int features = featuresSlot(m, layout);
        boolean withRaw = !m.getRawPredictionCol().isEmpty();
        boolean withProb = !m.getProbabilityCol().isEmpty();
        boolean withPred = !m.getPredictionCol().isEmpty();
        int raw = withRaw ? layout.output(m.getRawPredictionCol()) : -1;
        int prob = withProb ? layout.output(m.getProbabilityCol()) : -1;
        int pred = withPred ? layout.output(m.getPredictionCol()) : -1;
        return row -> {
            Vector f = features(row, features);
            Vector rawValue = null;
            Vector probValue = null;
            if (withRaw) {
                rawValue = m.predictRaw(f);
            }
            if (withProb) {
                probValue = withRaw ? m.raw2probability(rawValue) : m.predictProbability(f);
            }
            Object predValue = null;
            if (withPred) {
                predValue = withRaw ? m.raw2prediction(rawValue)
                        : withProb ? m.probability2prediction(probValue) : m.predict(f);
            }
            if (withRaw) {
                row[raw] = rawValue;
            }
            if (withProb) {
                row[prob] = probValue;
            }
            if (withPred) {
                row[pred] = predValue;
            }
        };
    }

    /** PredictionModel.transform for regressors: prediction = predict(features). */
    @SuppressWarnings("unchecked")
    static Step regressor(PredictionModel<?, ?> model, Layout layout) {
        refuseNonEmpty(model, "leafCol");
        refuseNonEmpty(model, "varianceCol");
        PredictionModel<Vector, ?> m = (PredictionModel<Vector, ?>) model;
        int features = featuresSlot(m, layout);
        if (m.getPredictionCol().isEmpty()) {
            return row -> { };
        }
        int pred = layout.output(m.getPredictionCol());
        return row -> row[pred] = m.predict(features(row, features));
    }

    private static int featuresSlot(PredictionModel<?, ?> m, Layout layout) {
        if (!(layout.type(m.getFeaturesCol()) instanceof VectorUDT)) {
            throw new UnsupportedStage("features column is not a vector");
        }
        return layout.slot(m.getFeaturesCol());
    }

    private static Vector features(Object[] row, int slot) {
        Object v = row[slot];
        if (!(v instanceof DenseVector) && !(v instanceof SparseVector)) {
            throw new Fallback("features are not a dense or sparse vector");
        }
        return (Vector) v;
    }

    private static void refuseNonEmpty(PredictionModel<?, ?> m, String paramName) {
        if (m.hasParam(paramName)) {
            Param<Object> p = m.getParam(paramName);
            Object value = m.isDefined(p) ? m.getOrDefault(p) : null;
            if (value instanceof String s && !s.isEmpty()) {
                throw new UnsupportedStage(paramName + " is set");
            }
        }
    }
}
