package dev.mlserve.local.bench;

import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.score.PipelineScorer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * Cold-start baseline child: what a Spark user writes. A local[*] session (UI off, loopback),
 * {@code PipelineModel.load}, one record transformed and collected; then {@code warm} more
 * requests (1 and 100 rows alternately) and its phases and peak resident memory.
 * Arguments: BUNDLE_DIR WARM_REQUESTS.
 */
public final class ColdPlainMain {
    private ColdPlainMain() {
    }

    public static void main(String[] args) throws Exception {
        long mainAt = ChildReport.sinceJvmStartMs();
        PrintStream out = System.out;
        System.setOut(System.err);
        Path bundle = Path.of(args[0]);
        int warm = Integer.parseInt(args[1]);
        BundleMetadata metadata = LocalBundleStore.open(bundle).metadata();
        StructType schema = metadata.sparkSchema();
        List<Row> one = BenchRecords.rows(metadata, BenchRecords.records(metadata, 0, 1));
        List<Row> hundred = BenchRecords.rows(metadata, BenchRecords.records(metadata, 100, 100));

        long start = System.nanoTime();
        SparkSession spark = SparkSession.builder()
                .master("local[*]")
                .appName("plain-spark")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
        long session = System.nanoTime();
        PipelineModel model = PipelineModel.load(bundle.resolve("pipeline").toUri().toString());
        long loaded = System.nanoTime();
        List<String> outputs = metadata.outputs().isEmpty()
                ? PipelineScorer.Outputs.standard(PipelineScorer.Outputs.added(model, schema)) : metadata.outputs();
        Column[] selected = outputs.stream().map(functions::col).toArray(Column[]::new);
        model.transform(spark.createDataFrame(one, schema)).select(selected).collectAsList();
        long answered = System.nanoTime();
        long firstAt = ChildReport.sinceJvmStartMs();
        ChildReport.ready(out);

        for (int i = 0; i < warm; i++) {
            model.transform(spark.createDataFrame(i % 2 == 0 ? one : hundred, schema)).select(selected).collectAsList();
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jvmToMainMs", mainAt);
        figures.put("sessionMs", (session - start) / 1_000_000);
        figures.put("loadMs", (loaded - session) / 1_000_000);
        figures.put("firstTransformMs", (answered - loaded) / 1_000_000);
        figures.put("jvmToFirstAnswerMs", firstAt);
        ChildReport.finish(out, figures, warm);
        System.exit(0);
    }
}
