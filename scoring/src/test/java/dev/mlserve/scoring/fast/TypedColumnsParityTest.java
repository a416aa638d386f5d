package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.schema.RecordValidator;
import dev.mlserve.scoring.score.OutputValues;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.TestSpark;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.Imputer;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.regression.DecisionTreeRegressor;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * An int column indexed as strings, a boolean assembled, float and long columns imputed (cast back to their
 * types), one-hot without dropLast, and two regressors on one feature vector: a decision tree and
 * a linear regression.
 */
class TypedColumnsParityTest {
    private static final StructType SCHEMA = new StructType()
            .add("code", DataTypes.IntegerType, true)
            .add("flag", DataTypes.BooleanType, true)
            .add("ratio", DataTypes.FloatType, true)
            .add("count", DataTypes.LongType, true);

    @Test
    void fastPath_onIntBooleanFloatLongColumnsAndTwoRegressors_equalsTransformBitForBit() {
        SparkSession spark = TestSpark.session();
        PipelineModel model = fit(spark);
        List<Map<String, Object>> records = records(4000, 31);
        RecordValidator validator = new RecordValidator(BundleMetadata.fieldsOf(SCHEMA), RecordValidator.Mode.JSON, false);
        List<Object[]> rows = validator.convertAll(records);
        List<String> columns = PipelineScorer.Outputs.added(model, SCHEMA);
        FastPathCompiler.Compilation compiled = FastPathCompiler.compile(model, SCHEMA);
        assertThat(compiled.supported()).as(String.valueOf(compiled.refusal())).isTrue();

        List<Map<String, Object>> fast = new ArrayList<>();
        for (Object[] row : rows) {
            fast.add(compiled.pipeline().answer(compiled.pipeline().evaluate(row), columns));
        }

        List<Row> sparkRows = rows.stream().map(v -> RowFactory.create(v)).toList();
        Column[] selected = columns.stream().map(functions::col).toArray(Column[]::new);
        List<Map<String, Object>> expected = new ArrayList<>();
        for (Row row : model.transform(spark.createDataFrame(sparkRows, SCHEMA)).select(selected).collectAsList()) {
            expected.add(OutputValues.toMap(row, columns));
        }
        System.out.printf("fast path parity typed-columns: %d records x %d columns %s compared%n", rows.size(),
                columns.size(), columns);
        assertThat(columns).contains("ratio_f", "count_f", "tree_prediction", "prediction");
        assertThat(fast.get(0).get("ratio_f")).isInstanceOf(Float.class);
        assertThat(fast.get(0).get("count_f")).isInstanceOf(Long.class);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(Parity.exact(fast.get(i))).as("record %d", i).isEqualTo(Parity.exact(expected.get(i)));
        }
    }

    private static PipelineModel fit(SparkSession spark) {
        Random r = new Random(5);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int code = r.nextInt(6);
            boolean flag = r.nextBoolean();
            Float ratio = r.nextInt(10) == 0 ? null : (float) r.nextDouble();
            Long count = r.nextInt(10) == 0 ? null : (long) r.nextInt(1000);
            double y = code * 1.5 + (flag ? 3 : 0) + (ratio == null ? 0.5 : ratio) * 10
                    + (count == null ? 500 : count) / 100.0 + r.nextGaussian();
            rows.add(RowFactory.create(code, flag, ratio, count, y));
        }
        PipelineStage[] stages = {
            new StringIndexer().setInputCol("code").setOutputCol("code_idx").setHandleInvalid("keep")
                    .setStringOrderType("alphabetDesc"),
            new OneHotEncoder().setInputCols(new String[] {"code_idx"})
                    .setOutputCols(new String[] {"code_vec"}).setHandleInvalid("keep").setDropLast(false),
            new Imputer().setInputCols(new String[] {"ratio", "count"})
                    .setOutputCols(new String[] {"ratio_f", "count_f"}).setStrategy("mean"),
            new VectorAssembler().setInputCols(new String[] {"code_vec", "ratio_f", "count_f", "flag"})
                    .setOutputCol("features").setHandleInvalid("keep"),
            new DecisionTreeRegressor().setLabelCol("y").setPredictionCol("tree_prediction").setMaxDepth(4),
            new LinearRegression().setLabelCol("y").setRegParam(0.1)
        };
        StructType training = SCHEMA.add("y", DataTypes.DoubleType, false);
        return new Pipeline().setStages(stages).fit(spark.createDataFrame(rows, training));
    }

    private static List<Map<String, Object>> records(int count, long seed) {
        Random r = new Random(seed);
        double[] edges = {0.0, -0.0, 3.4e38, -3.4e38, 1e-45, 0.5};
        List<Map<String, Object>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            int c = r.nextInt(12);
            m.put("code", c == 0 ? null : c == 1 ? Integer.valueOf(99) : c == 2 ? Integer.valueOf(-1) : Integer.valueOf(r.nextInt(6)));
            m.put("flag", r.nextInt(8) == 0 ? null : Boolean.valueOf(r.nextBoolean()));
            int k = r.nextInt(10);
            m.put("ratio", k == 0 ? null : k == 1 ? Double.valueOf(edges[r.nextInt(edges.length)]) : Double.valueOf(r.nextDouble()));
            int n = r.nextInt(10);
            m.put("count", n == 0 ? null : n == 1 ? Long.valueOf(Long.MAX_VALUE - r.nextInt(3)) : Long.valueOf(r.nextInt(1000)));
            records.add(m);
        }
        return records;
    }
}
