package dev.mlserve.scoring.fast;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.DecisionTreeClassificationModel;
import org.apache.spark.ml.classification.GBTClassificationModel;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.classification.RandomForestClassificationModel;
import org.apache.spark.ml.feature.Bucketizer;
import org.apache.spark.ml.feature.ImputerModel;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.OneHotEncoderModel;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.regression.DecisionTreeRegressionModel;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.ml.regression.LinearRegressionModel;
import org.apache.spark.ml.regression.RandomForestRegressionModel;
import org.apache.spark.sql.types.StructType;

/**
 * Compiles a fitted PipelineModel into a {@link FastPipeline}, stage by stage, from Spark's own
 * fitted stage objects. Supported (exact classes only, subclasses are refused): StringIndexerModel,
 * OneHotEncoderModel, ImputerModel, Bucketizer, VectorAssembler, StandardScalerModel, IndexToString,
 * LogisticRegressionModel, RandomForestClassificationModel, DecisionTreeClassificationModel,
 * GBTClassificationModel, GBTRegressionModel, RandomForestRegressionModel, DecisionTreeRegressionModel,
 * LinearRegressionModel, and nested PipelineModels. Anything else refuses the whole pipeline.
 */
public final class FastPathCompiler {
    private FastPathCompiler() {
    }

    /** The compiled pipeline, or why there is none. */
    public record Compilation(FastPipeline pipeline, String refusal) {
        public boolean supported() {
            return pipeline != null;
        }
    }

    public static Compilation compile(PipelineModel model, StructType inputSchema) {
        return compile(model, inputSchema, StageFrames.NONE);
    }

    /** Same, taking DataFrame-valued stage fields from {@code frames} where it has them (a snapshot). */
    static Compilation compile(PipelineModel model, StructType inputSchema, StageFrames frames) {
        Layout layout = new Layout(inputSchema);
        List<Step> steps = new ArrayList<>();
        try {
            addStages(model, layout, steps, frames);
        } catch (UnsupportedStage e) {
            return new Compilation(null, e.getMessage());
        }
        return new Compilation(new FastPipeline(layout.slots(), inputSchema.size(), steps), null);
    }

    private static void addStages(PipelineModel model, Layout layout, List<Step> steps, StageFrames frames) {
        for (Transformer stage : model.stages()) {
            if (stage instanceof PipelineModel nested && stage.getClass() == PipelineModel.class) {
                addStages(nested, layout, steps, frames);
                continue;
            }
            try {
                steps.add(step(stage, layout, frames));
                layout.advance(stage);
            } catch (UnsupportedStage e) {
                throw new UnsupportedStage("unsupported: " + stage.uid() + " (" + stage.getClass().getSimpleName()
                        + ": " + e.getMessage() + ")");
            } catch (RuntimeException e) {
                throw new UnsupportedStage("unsupported: " + stage.uid() + " (" + stage.getClass().getSimpleName()
                        + ": " + e + ")");
            }
        }
    }

    private static Step step(Transformer stage, Layout layout, StageFrames frames) {
        Class<?> c = stage.getClass();
        if (c == StringIndexerModel.class) {
            return FeatureSteps.stringIndexer((StringIndexerModel) stage, layout);
        }
        if (c == OneHotEncoderModel.class) {
            return FeatureSteps.oneHotEncoder((OneHotEncoderModel) stage, layout);
        }
        if (c == ImputerModel.class) {
            return FeatureSteps.imputer((ImputerModel) stage, layout, frames);
        }
        if (c == Bucketizer.class) {
            return FeatureSteps.bucketizer((Bucketizer) stage, layout);
        }
        if (c == VectorAssembler.class) {
            return FeatureSteps.vectorAssembler((VectorAssembler) stage, layout);
        }
        if (c == StandardScalerModel.class) {
            return FeatureSteps.standardScaler((StandardScalerModel) stage, layout);
        }
        if (c == IndexToString.class) {
            return FeatureSteps.indexToString((IndexToString) stage, layout);
        }
        if (c == LogisticRegressionModel.class) {
            return PredictorSteps.probabilisticClassifier((LogisticRegressionModel) stage, layout);
        }
        if (c == RandomForestClassificationModel.class) {
            return PredictorSteps.probabilisticClassifier((RandomForestClassificationModel) stage, layout);
        }
        if (c == DecisionTreeClassificationModel.class) {
            return PredictorSteps.probabilisticClassifier((DecisionTreeClassificationModel) stage, layout);
        }
        if (c == GBTClassificationModel.class) {
            return PredictorSteps.probabilisticClassifier((GBTClassificationModel) stage, layout);
        }
        if (c == GBTRegressionModel.class) {
            return PredictorSteps.regressor((GBTRegressionModel) stage, layout);
        }
        if (c == RandomForestRegressionModel.class) {
            return PredictorSteps.regressor((RandomForestRegressionModel) stage, layout);
        }
        if (c == DecisionTreeRegressionModel.class) {
            return PredictorSteps.regressor((DecisionTreeRegressionModel) stage, layout);
        }
        if (c == LinearRegressionModel.class) {
            return PredictorSteps.regressor((LinearRegressionModel) stage, layout);
        }
        throw new UnsupportedStage("no row-level equivalent");
    }
}
