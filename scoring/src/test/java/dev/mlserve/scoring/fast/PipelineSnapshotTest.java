package dev.mlserve.scoring.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.testing.Parity;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.Tokenizer;
import org.apache.spark.ml.feature.Word2Vec;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineSnapshotTest {
    @TempDir
    Path root;

    @Test
    void bundleWriter_writesASnapshot_thatLoadsAndAnswersBeforeTheSessionExists_andExactlyLikePipelineModelLoad()
            throws Exception {
        SparkSession spark = TestSpark.session();
        for (Kind kind : Kind.values()) {
            Bundle bundle = ParityPipelines.bundle(kind);
            assertThat(bundle.directory().resolve(PipelineSnapshot.FILE)).as(kind.name()).isRegularFile();
            CountDownLatch sessionStarted = new CountDownLatch(1);
            Supplier<SparkSession> starting = startingUntil(sessionStarted, spark);

            JobCounter jobs = JobCounter.start(spark);
            Optional<FastPathScorer> loaded = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> FastPathScorer.loadSnapshot(starting, bundle), "loading waited for the session");
            assertThat(loaded).as(kind.name()).isPresent();
            FastPathScorer scorer = loaded.get();
            Map<String, Object> known = Map.of("plan", "basic", "region", "north", "tenure", 12.0, "charges", 50.0,
                    "calls", 2, "autopay", true);
            List<Map<String, Object>> before = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> scorer.predict(List.of(known), null), "the fast path waited for the session");
            sessionStarted.countDown();
            int jobsDuringLoad = jobs.stop();

            assertThat(scorer.fastRequests()).isEqualTo(1);
            assertThat(Parity.exact(before)).isEqualTo(Parity.exact(PipelineScorer.load(spark, bundle)
                    .predict(List.of(known), null)));
            assertThat(jobsDuringLoad).as(kind + ": Spark jobs while loading from the snapshot").isZero();
            assertThat(scorer.fastPathEnabled()).as(scorer.fastPathStatus()).isTrue();
            // the background check may already have finished
            assertThat(scorer.fastPathStatus()).matches("on: (recorded check identical on \\d+ records \\(hand-written steps\\);"
                    + " live check pending"
                    + "|self-check identical on \\d+ records \\(recorded and live\\))");
            assertThat(scorer.awaitVerification(Duration.ofMinutes(2)))
                    .startsWith("on: self-check identical on ").endsWith("(recorded and live)");

            PipelineScorer plain = PipelineScorer.load(spark, bundle);
            List<String> columns = plain.availableOutputs();
            List<Map<String, Object>> records = ParityPipelines.records(2000, 91 + kind.ordinal());
            String expected = Parity.exact(plain.predict(records, columns));
            assertThat(Parity.exact(scorer.predict(records, columns))).as(kind + " fast path").isEqualTo(expected);
            assertThat(Parity.exact(scorer.pipelineScorer().predict(records, columns)))
                    .as(kind + " transform of the deserialized pipeline").isEqualTo(expected);
            assertThat(scorer.fastRequests()).isEqualTo(2);
        }
    }

    @Test
    void aPipelineCompiledFromSparksPlan_isInTheSnapshot_andAnswersBeforeTheSessionExists_exactlyLikeTransform()
            throws Exception {
        SparkSession spark = TestSpark.session();
        StructType schema = new StructType().add("text", DataTypes.StringType).add("x", DataTypes.DoubleType);
        List<Row> rows = new java.util.ArrayList<>();
        java.util.Random random = new java.util.Random(4);
        String[] words = {"free", "offer", "meeting", "notes", "win", "lunch"};
        for (int i = 0; i < 200; i++) {
            String text = words[random.nextInt(6)] + " " + words[random.nextInt(6)];
            rows.add(RowFactory.create(text, random.nextGaussian(), text.contains("free") || text.contains("win") ? 1.0 : 0.0));
        }
        Dataset<Row> data = spark.createDataFrame(rows, schema.add("label", DataTypes.DoubleType));
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
            new Tokenizer().setInputCol("text").setOutputCol("words"),
            new org.apache.spark.ml.feature.HashingTF().setInputCol("words").setOutputCol("tf").setNumFeatures(32),
            new org.apache.spark.ml.feature.SQLTransformer().setStatement("SELECT *, x * 2 AS x2 FROM __THIS__"),
            new org.apache.spark.ml.feature.VectorAssembler().setInputCols(new String[] {"tf", "x2"}).setOutputCol("f"),
            new LogisticRegression().setFeaturesCol("f").setMaxIter(10)}).fit(data);
        List<Map<String, Object>> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            samples.add(Map.of("text", words[i % 6] + " " + words[(i * 5) % 6], "x", i / 7.0));
        }
        Bundle bundle = new BundleWriter(root).write(model, "text-plan", "1", schema, null, Map.of(), samples);
        CountDownLatch sessionStarted = new CountDownLatch(1);
        Supplier<SparkSession> starting = startingUntil(sessionStarted, spark);

        Optional<FastPathScorer> loaded = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> FastPathScorer.loadSnapshot(starting, bundle), "loading waited for the session");
        FastPathScorer scorer = loaded.orElseThrow();
        List<Map<String, Object>> request = List.of(Map.of("text", "free lunch", "x", 0.25),
                Map.of("text", "meeting notes notes", "x", -3.5));
        List<Map<String, Object>> before = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> scorer.predict(request, null), "the fast path waited for the session");
        sessionStarted.countDown();

        assertThat(scorer.fastRequests()).isEqualTo(1);
        assertThat(scorer.fastPathStatus()).contains("plan compiled at bundle time");
        PipelineScorer plain = PipelineScorer.load(spark, bundle);
        assertThat(Parity.exact(before)).isEqualTo(Parity.exact(plain.predict(request, null)));
        assertThat(scorer.awaitVerification(Duration.ofMinutes(2))).endsWith("(recorded and live)");
    }

    /** A session that is still starting: handed out once the latch opens. */
    private static Supplier<SparkSession> startingUntil(CountDownLatch started, SparkSession spark) {
        return () -> {
            try {
                started.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return spark;
        };
    }

    @Test
    void bundleWriter_givesNoSnapshot_toAPipelineWhoseFittedStateIsTransient_soTheBundleAnswersLikeTransform() {
        SparkSession spark = TestSpark.session();
        StructType training = new StructType().add("text", DataTypes.StringType).add("label", DataTypes.DoubleType);
        List<Row> rows = new ArrayList<>();
        String[] words = {"cheap", "offer", "meeting", "report", "win", "agenda", "prize", "notes"};
        for (int i = 0; i < 40; i++) {
            rows.add(RowFactory.create(words[i % 8] + " " + words[(i * 3) % 8] + " " + words[(i * 5 + 1) % 8],
                    (double) (i % 2)));
        }
        Dataset<Row> data = spark.createDataFrame(rows, training);
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
            new Tokenizer().setInputCol("text").setOutputCol("words"),
            new Word2Vec().setInputCol("words").setOutputCol("vec").setVectorSize(3).setMinCount(1).setSeed(7)
                    .setMaxIter(1),
            new LogisticRegression().setFeaturesCol("vec").setLabelCol("label").setMaxIter(5)}).fit(data);
        List<Map<String, Object>> samples = List.of(Map.of("text", "cheap prize"), Map.of("text", "meeting notes"),
                Map.of("text", "unknown words only"));

        Bundle bundle = new BundleWriter(root).write(model, "word2vec", "1",
                new StructType().add("text", DataTypes.StringType), null, Map.of(), samples);

        assertThat(bundle.directory().resolve(PipelineSnapshot.FILE)).as("Word2VecModel.wordVectors is transient")
                .doesNotExist();
        String expected = Parity.exact(PipelineScorer.load(spark, bundle).predict(samples, null));
        assertThat(Parity.exact(FastPathScorer.load(spark, bundle).predict(samples, null))).isEqualTo(expected);
    }

    @Test
    void snapshot_isNotUsed_whenThePipelineFilesChanged() throws IOException {
        Bundle bundle = copy(ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC), "changed");
        Path metadata;
        try (Stream<Path> files = Files.walk(bundle.pipelineDirectory().resolve("metadata"))) {
            metadata = files.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
        }
        Files.writeString(metadata, Files.readString(metadata).replace("}", " }"));
        Files.deleteIfExists(metadata.resolveSibling("." + metadata.getFileName() + ".crc"));

        assertThat(PipelineSnapshot.read(bundle.directory())).isEmpty();
        FastPathScorer scorer = FastPathScorer.load(TestSpark.session(), bundle);
        assertThat(scorer.fastPathStatus()).startsWith("on: self-check identical on ").doesNotContain("recorded");
    }

    @Test
    void snapshot_isNotUsed_whenWrittenByAnotherSparkVersion() throws IOException {
        Bundle bundle = copy(ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC), "other-spark");
        Path file = bundle.directory().resolve(PipelineSnapshot.FILE);
        byte[] bytes = Files.readAllBytes(file);
        byte[] version = PipelineSnapshot.sparkVersion().getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, version);
        assertThat(at).isPositive();
        bytes[at + version.length - 1] = (byte) (bytes[at + version.length - 1] == '0' ? '1' : '0');
        Files.write(file, bytes);

        assertThat(PipelineSnapshot.read(bundle.directory())).isEmpty();
    }

    @Test
    void snapshot_refusesClassesOutsideItsAllowList() throws IOException {
        Bundle bundle = copy(ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC), "foreign-class");
        craft(bundle, serialized(new java.io.File("/etc/passwd")));

        assertThat(PipelineSnapshot.read(bundle.directory())).isEmpty();
        assertThat(FastPathScorer.load(TestSpark.session(), bundle).fastPathEnabled()).isTrue();
    }

    /** A snapshot file of this bundle with the given serialized content after a valid header. */
    private static Path craft(Bundle bundle, byte[] content) throws IOException {
        Path file = bundle.directory().resolve(PipelineSnapshot.FILE);
        try (OutputStream raw = Files.newOutputStream(file)) {
            DataOutputStream header = new DataOutputStream(raw);
            header.writeUTF("mlserve-pipeline-snapshot");
            header.writeInt(PipelineSnapshot.FORMAT);
            header.writeUTF(PipelineSnapshot.sparkVersion());
            header.writeUTF(PipelineSnapshot.scalaVersion());
            header.writeUTF(PipelineSnapshot.digest(bundle.pipelineDirectory()));
            header.flush();
            raw.write(content);
        }
        return file;
    }

    private static byte[] serialized(Object value) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        return bytes.toByteArray();
    }

    @Test
    void snapshot_declaringAnArrayLargerThanTheFile_isRefusedBeforeAnythingIsAllocated() throws Exception {
        Bundle bundle = copy(ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC), "huge-array");
        byte[] small = serialized(new double[] {1, 2, 3, 4});
        // [D's class descriptor ends with TC_ENDBLOCKDATA, TC_NULL; the length follows
        int at = indexOf(small, new byte[] {0x78, 0x70, 0, 0, 0, 4}) + 2;
        assertThat(at).isGreaterThan(2);
        byte[] bomb = java.util.Arrays.copyOf(small, at + 4);
        bomb[at] = 0x7f;
        bomb[at + 1] = (byte) 0xff;
        bomb[at + 2] = (byte) 0xff;
        bomb[at + 3] = (byte) 0xf0;
        craft(bundle, bomb);

        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> PipelineSnapshot.read(bundle.directory())))
                .as("a 16 GB double[] declared in a few bytes").isEmpty();
    }

    @Test
    void snapshot_holdingHashedJdkCollections_isRefused_soNestedSetsCannotExplodeOnRead() throws Exception {
        Bundle bundle = copy(ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC), "nested-sets");
        java.util.Set<Object> root = new java.util.HashSet<>();
        java.util.Set<Object> s1 = root;
        java.util.Set<Object> s2 = new java.util.HashSet<>();
        for (int i = 0; i < 40; i++) { // the classic shape: each level holds the next two sets twice
            java.util.Set<Object> t1 = new java.util.HashSet<>();
            java.util.Set<Object> t2 = new java.util.HashSet<>();
            t1.add("x" + i);
            s1.add(t1);
            s1.add(t2);
            s2.add(t1);
            s2.add(t2);
            s1 = t1;
            s2 = t2;
        }
        craft(bundle, serialized(root));

        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> PipelineSnapshot.read(bundle.directory())))
                .isEmpty();
    }

    @Test
    void replay_againstRecordedAnswers_namesTheFirstDifference() {
        PipelineScorer spark = FastPathFixtures.scorer("churn", FastPathFixtures.churnShape());
        FastPipeline good = FastPathCompiler.compile(spark.model(), FastPathFixtures.SCHEMA).pipeline();
        SelfCheck.Recorded recorded = SelfCheck.record(spark, FastPathScorer.validator(spark), good,
                FastPathFixtures.records(300, 41));
        int prediction = good.slot("prediction");
        FastPipeline sabotaged = good.withStep(row -> row[prediction] = (Double) row[prediction] + 1e-12);

        assertThat(SelfCheck.replay(recorded, FastPathScorer.validator(spark), good, spark.availableOutputs())
                .describe()).isEqualTo("identical on 300 records");
        SelfCheck.Result broken = SelfCheck.replay(recorded, FastPathScorer.validator(spark), sabotaged,
                spark.availableOutputs());
        assertThat(broken.passed()).isFalse();
        assertThat(broken.describe()).startsWith("sample record 0 column 'prediction'");
    }

    @Test
    void liveCheck_turnsTheFastPathOff_whenTransformDisagrees() {
        PipelineScorer spark = FastPathFixtures.scorer("churn", FastPathFixtures.churnShape());
        FastPipeline good = FastPathCompiler.compile(spark.model(), FastPathFixtures.SCHEMA).pipeline();
        int prediction = good.slot("prediction");
        FastPipeline sabotaged = good.withStep(row -> row[prediction] = (Double) row[prediction] + 1e-12);
        List<Map<String, Object>> samples = FastPathFixtures.records(100, 42);

        FastPathScorer scorer = FastPathScorer.recordedCheckPassed(spark, sabotaged, samples);

        assertThat(scorer.awaitVerification(Duration.ofMinutes(2))).startsWith("self-check failed: sample record 0");
        assertThat(scorer.fastPathEnabled()).isFalse();
        List<Map<String, Object>> records = FastPathFixtures.records(20, 43);
        assertThat(Parity.exact(scorer.predict(records, null))).isEqualTo(Parity.exact(spark.predict(records, null)));
        assertThat(scorer.fastRequests()).isZero();
    }

    private Bundle copy(Bundle bundle, String version) throws IOException {
        Path target = root.resolve(bundle.metadata().name()).resolve(version);
        BundleFiles.copyTree(bundle.directory(), target);
        return new Bundle(bundle.metadata(), target);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Counts Spark jobs other than the background check's (which runs right after a snapshot load). */
    private static final class JobCounter extends SparkListener {
        private final AtomicInteger jobs = new AtomicInteger();
        private final SparkSession spark;

        private JobCounter(SparkSession spark) {
            this.spark = spark;
        }

        static JobCounter start(SparkSession spark) {
            JobCounter counter = new JobCounter(spark);
            spark.sparkContext().addSparkListener(counter);
            return counter;
        }

        int stop() {
            // Listener events are delivered asynchronously: a job started before this point is
            // posted before the marker job below, whose own start is not counted.
            spark.sparkContext().setJobGroup("marker", "marker", false);
            spark.range(1).count();
            spark.sparkContext().clearJobGroup();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!markerSeen && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            spark.sparkContext().removeSparkListener(this);
            return jobs.get();
        }

        private volatile boolean markerSeen;

        @Override
        public void onJobStart(SparkListenerJobStart start) {
            String group = start.properties() == null ? null : start.properties().getProperty("spark.jobGroup.id");
            if ("marker".equals(group)) {
                markerSeen = true;
            } else if (!FastPathScorer.VERIFY_JOB_GROUP.equals(group)) {
                jobs.incrementAndGet();
            }
        }
    }
}
