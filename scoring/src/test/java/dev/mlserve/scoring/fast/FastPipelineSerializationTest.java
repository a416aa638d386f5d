package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** File scoring ships the compiled pipeline to Spark tasks: it must survive Java serialization unchanged. */
class FastPipelineSerializationTest {

    static Stream<Arguments> pipelines() {
        return Stream.of(
                Arguments.of("one-hot-logistic", (Supplier<PipelineModel>) () -> model(Kind.ONE_HOT_LOGISTIC)),
                Arguments.of("imputer-forest", (Supplier<PipelineModel>) () -> model(Kind.IMPUTER_FOREST)),
                Arguments.of("bucketizer-gbt", (Supplier<PipelineModel>) () -> model(Kind.BUCKETIZER_GBT)),
                Arguments.of("churn-shape", (Supplier<PipelineModel>) FastPathFixtures::churnShape),
                Arguments.of("forest-regression", (Supplier<PipelineModel>) FastPathFixtures::forestRegression),
                Arguments.of("strict-tree", (Supplier<PipelineModel>) FastPathFixtures::strictTree));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pipelines")
    void javaSerialization_roundTrip_givesIdenticalAnswersAndFallbacks(String name, Supplier<PipelineModel> pipeline) throws Exception {
        PipelineModel model = pipeline.get();
        FastPipeline fast = FastPathCompiler.compile(model, FastPathFixtures.SCHEMA).pipeline();
        assertThat(fast).as(name + " compiles").isNotNull();
        List<String> columns = PipelineScorer.Outputs.added(model, FastPathFixtures.SCHEMA);
        List<Object[]> rows = FastPathFixtures.validator().convertAll(FastPathFixtures.records(1000, 31));

        FastPipeline copy = roundTrip(fast);

        assertThat(copy).isNotSameAs(fast);
        assertThat(copy.slots(columns)).containsExactly(fast.slots(columns));
        assertThat(answers(copy, rows, columns)).isEqualTo(answers(fast, rows, columns));
    }

    private static List<String> answers(FastPipeline fast, List<Object[]> rows, List<String> columns) {
        List<String> out = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            try {
                Map<String, Object> answer = fast.answer(fast.evaluate(row), columns);
                out.add(Parity.exact(answer));
            } catch (Fallback e) {
                out.add("fallback: " + e.getMessage());
            }
        }
        return out;
    }

    private static FastPipeline roundTrip(FastPipeline fast) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(fast);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (FastPipeline) in.readObject();
        }
    }

    private static PipelineModel model(Kind kind) {
        return PipelineScorer.load(TestSpark.session(), ParityPipelines.bundle(kind)).model();
    }
}
