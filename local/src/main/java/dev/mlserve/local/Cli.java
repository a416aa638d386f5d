package dev.mlserve.local;

import com.fasterxml.jackson.databind.ObjectWriter;
import dev.mlserve.jobs.args.Flags;
import dev.mlserve.jobs.train.TrainArgs;
import dev.mlserve.jobs.train.TrainJob;
import dev.mlserve.local.invoke.InvokeCommand;
import dev.mlserve.local.mlflow.MlflowModel;
import dev.mlserve.local.publish.BundlePublisher;
import dev.mlserve.local.serve.ServeCommand;
import dev.mlserve.scoring.api.PredictBody;
import dev.mlserve.scoring.api.Responses;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.BundleWriter;
import dev.mlserve.scoring.bundle.InputSchemas;
import dev.mlserve.scoring.bundle.LocalBundleStore;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.fast.FastPathScorer;
import dev.mlserve.scoring.fast.SampleRecords;
import dev.mlserve.scoring.fast.ScorerProvider;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.FileScorer;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.schema.TypedRecords;
import dev.mlserve.scoring.spark.SparkSessions;
import dev.mlserve.scoring.spark.SparkSettings;
import dev.mlserve.scoring.store.S3Clients;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The developer runner's commands. Exit codes: 0 done, 2 bad input or usage, 3 unknown model or
 * bundle, 1 a real fault. Every answer is one JSON document on stdout.
 */
public final class Cli {
    private static final Logger LOG = LoggerFactory.getLogger(Cli.class);
    static final String USAGE = """
            usage: java -jar scoring-local.jar COMMAND [flags]
              train   --demo --out DIR | --data F.csv --label C --name N [--version V] --out DIR
              bundle  --pipeline DIR (--schema "<Spark DDL>" | --sample FILE) --name N --version V --out ROOT
                      [--outputs a,b]
              bundle  --mlflow-model DIR [--schema "<Spark DDL>" | --sample FILE] --name N --version V --out ROOT
                      [--outputs a,b]   (a model logged with mlflow.spark; schema from its signature or example)
              publish --bundle DIR --to s3://BUCKET/models/ [--latest]
                      (uploads a bundle version; never replaces a published one; --latest moves LATEST last)
              predict --bundle DIR [--input FILE] [--content-type TYPE] [--repeat N]
                      (the API's request bodies: {"records":[...]}, MLflow bodies, or text/csv with a header row,
                      the default for a .csv --input; stdin when no --input; --repeat logs warm timings to stderr)
              score   --bundle DIR --input FILE --output DIR [--format csv|jsonl|parquet] [--progress-interval 10s]
                      (a progress line with rows and rows/s on stderr every interval, 10s unless given)
              demo    [--store DIR]   (train or reuse the demo bundle; the API and an upload through the handlers)
              bench   [--quick] [--out FILE.json] [--dir DIR] [--only warm,throughput,cold]
                      (the benchmark against plain Spark: prints a table, writes the figures as JSON and a PNG chart)
            """ + "  " + InvokeCommand.USAGE + "\n  " + ServeCommand.USAGE;

    /** A person watches the terminal: more often than the batch job's 30s. */
    static final String DEFAULT_PROGRESS_INTERVAL = "10s";
    private static final Pattern DURATION = Pattern.compile("\\d+(ms|s|m|min|h)?");

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream stdin;
    private final Supplier<SparkSession> spark;
    private final Supplier<S3Client> s3;

    public Cli(PrintStream out, PrintStream err) {
        this(out, err, System.in, () -> SparkSessions.getOrCreate(SparkSettings.defaults("mlserve-local")));
    }

    Cli(PrintStream out, PrintStream err, InputStream stdin, Supplier<SparkSession> spark) {
        this(out, err, stdin, spark, () -> S3Clients.create(S3Clients.Settings.fromEnvironment()));
    }

    Cli(PrintStream out, PrintStream err, InputStream stdin, Supplier<SparkSession> spark, Supplier<S3Client> s3) {
        this.out = out;
        this.err = err;
        this.stdin = stdin;
        this.spark = spark;
        this.s3 = s3;
    }

    public int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            err.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        String requestId = "local-" + UUID.randomUUID();
        try {
            return switch (args[0]) {
                case "train" -> train(rest);
                case "bundle" -> bundle(rest);
                case "publish" -> publish(rest);
                case "predict" -> predict(rest);
                case "score" -> score(rest);
                case "demo" -> new Demo(this, spark).run(rest);
                case "invoke" -> new InvokeCommand(out, System.getenv()).run(rest);
                case "serve" -> serve(rest);
                case "bench" -> dev.mlserve.local.bench.Bench.run(rest, out);
                default -> usage("unknown command '" + args[0] + "'");
            };
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        } catch (BadInputException | ModelNotFoundException e) {
            print(Responses.error(e, requestId));
            return e instanceof BadInputException ? 2 : 3;
        } catch (RuntimeException | IOException e) {
            LOG.error("request {} failed", requestId, e);
            print(Responses.error(e, requestId));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** Starts the emulator, prints where it listens, and serves until the process is stopped. */
    private int serve(String[] args) throws IOException, InterruptedException {
        ServeCommand.Running running = ServeCommand.start(args, System.getenv());
        Runtime.getRuntime().addShutdownHook(new Thread(running::close, "mlserve-serve-stop"));
        print(running.describe());
        new CountDownLatch(1).await();
        return 0;
    }

    private int usage(String problem) {
        err.println("error: " + problem);
        err.println(USAGE);
        return 2;
    }

    private int train(String[] args) {
        TrainArgs parsed = TrainArgs.parse(args);
        Bundle bundle = TrainJob.run(spark.get(), parsed);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("bundle", bundle.directory().toString());
        body.put("metadata", bundle.metadata());
        print(body);
        return 0;
    }

    private int bundle(String[] args) {
        Flags f = Flags.parse(args, Set.of("--pipeline", "--mlflow-model", "--schema", "--sample", "--name",
                "--version", "--out", "--outputs"), Set.of());
        String name = f.require("--name", null);
        String version = f.require("--version", null);
        String root = f.require("--out", null);
        boolean mlflow = f.has("--mlflow-model");
        if (mlflow == f.has("--pipeline")) {
            f.problem("give exactly one of --pipeline DIR or --mlflow-model DIR");
        }
        if (f.has("--schema") && f.has("--sample")) {
            f.problem("give at most one of --schema \"<Spark DDL>\" or --sample FILE");
        } else if (!mlflow && !f.has("--schema") && !f.has("--sample")) {
            f.problem("give exactly one of --schema \"<Spark DDL>\" or --sample FILE");
        }
        f.check(USAGE);
        List<String> outputs = f.has("--outputs") ? List.of(f.get("--outputs").split(",")) : null;
        SparkSession session = spark.get();
        Path saved;
        Dataset<Row> sample = f.has("--sample") ? InputSchemas.readSample(session, Path.of(f.get("--sample"))) : null;
        StructType schema = f.has("--schema") ? InputSchemas.fromDdl(f.get("--schema"))
                : sample != null ? sample.schema() : null;
        Map<String, Object> source = Map.of();
        if (mlflow) {
            MlflowModel model = MlflowModel.open(Path.of(f.get("--mlflow-model")).toAbsolutePath(),
                    org.apache.spark.package$.MODULE$.SPARK_VERSION());
            saved = model.pipelineDir();
            Map<String, Object> recorded = new LinkedHashMap<>(model.source());
            if (schema == null) {
                schema = model.inputSchema(session).orElseThrow(() -> new BadInputException("the MLflow model at "
                        + f.get("--mlflow-model") + " has neither a signature nor an input example: give the "
                        + "input schema with --sample FILE or --schema \"<Spark DDL>\""));
            } else {
                recorded.put("schemaFrom", f.has("--schema") ? "--schema" : "--sample");
            }
            source = recorded;
        } else {
            saved = Path.of(f.get("--pipeline")).toAbsolutePath();
        }
        PipelineModel model = PipelineModel.load(saved.toUri().toString());
        // The sample's rows (up to 200) are the records the fast path is checked on at every load.
        List<Map<String, Object>> samples = sample == null ? List.of()
                : SampleRecords.fromData(sample, BundleMetadata.fieldsOf(schema), SampleRecords.DEFAULT_COUNT, 20261203L);
        Bundle bundle = new BundleWriter(Path.of(root)).wrap(model, saved, name, version, schema, outputs, samples,
                source);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("bundle", bundle.directory().toString());
        body.put("metadata", bundle.metadata());
        print(body);
        return 0;
    }

    /** Uploads a bundle version folder to S3 (see BundlePublisher); needs no Spark. */
    private int publish(String[] args) {
        Flags f = Flags.parse(args, Set.of("--bundle", "--to"), Set.of("--latest"));
        String dir = f.require("--bundle", null);
        String to = f.require("--to", "(s3://BUCKET/models/)");
        f.check(USAGE);
        BundlePublisher.Target target = BundlePublisher.Target.parse(to);
        try (S3Client client = s3.get()) {
            print(BundlePublisher.describe(new BundlePublisher(client).publish(Path.of(dir), target, f.has("--latest"))));
        }
        return 0;
    }

    private int predict(String[] args) throws IOException {
        Flags f = Flags.parse(args, Set.of("--bundle", "--input", "--repeat", "--content-type"), Set.of());
        String dir = f.require("--bundle", null);
        int repeat = (int) f.getLong("--repeat", 1, 1);
        f.check(USAGE);
        String body = f.has("--input") ? readInput(Path.of(f.get("--input")))
                : new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
        // the API's parser: our records, MLflow scoring-server bodies, or CSV with a header row
        PredictBody request = PredictBody.parse(body, contentType(f));
        Bundle bundle = LocalBundleStore.open(Path.of(dir));
        if (request.version() != null && !request.version().equals(bundle.metadata().version())) {
            throw new ModelNotFoundException("the bundle at " + dir + " is version " + bundle.metadata().version()
                    + ", not '" + request.version() + "'");
        }
        TypedRecords records = request.validated(bundle.metadata().inputSchema());
        // as the API function answers: the row-level fast path when the bundle's check passes
        FastPathScorer scorer = ScorerProvider.of(spark.get()).scorer(bundle);
        List<Map<String, Object>> predictions = null;
        long[] micros = new long[repeat];
        for (int i = 0; i < repeat; i++) {
            long start = System.nanoTime();
            predictions = scorer.predict(records, request.outputs());
            micros[i] = (System.nanoTime() - start) / 1_000;
        }
        LOG.info("predict: model={} version={} records={} firstMs={} fastPath={}", bundle.metadata().name(),
                bundle.metadata().version(), predictions.size(), micros[0] / 1000.0, scorer.fastPathStatus());
        if (repeat > 1) {
            long[] warm = Arrays.copyOfRange(micros, 1, repeat);
            Arrays.sort(warm);
            LOG.info("predict timings over {} warm calls: p50Ms={} p99Ms={}", warm.length,
                    warm[warm.length / 2] / 1000.0, warm[Math.min(warm.length - 1, (int) (warm.length * 0.99))] / 1000.0);
        }
        print(Responses.predictions(bundle.metadata(), predictions));
        return 0;
    }

    /**
     * The {@code --input} file as UTF-8 text. A missing file is a usage error and bytes that are not
     * UTF-8 are bad input (exit 2), not a fault of the runner (exit 1).
     */
    private static String readInput(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("input " + file.toAbsolutePath() + " does not exist or is not a file");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new BadInputException("the input file " + file.getFileName() + " is not valid UTF-8 text: save it"
                    + " as UTF-8");
        }
    }

    /** {@code --content-type}, else text/csv for a {@code .csv} input file, else JSON. */
    private static String contentType(Flags f) {
        if (f.has("--content-type")) {
            return f.get("--content-type");
        }
        boolean csvFile = f.has("--input") && f.get("--input").toLowerCase(Locale.ROOT).endsWith(".csv");
        return csvFile ? "text/csv" : "application/json";
    }

    private int score(String[] args) {
        Flags f = Flags.parse(args, Set.of("--bundle", "--input", "--output", "--format", "--progress-interval"),
                Set.of());
        String dir = f.require("--bundle", null);
        String input = f.require("--input", null);
        String output = f.require("--output", null);
        String interval = f.has("--progress-interval") ? f.get("--progress-interval").strip()
                : System.getProperty(FileScorer.PROGRESS_INTERVAL, DEFAULT_PROGRESS_INTERVAL);
        if (!DURATION.matcher(interval).matches()) {
            f.problem("--progress-interval must be a duration like 10s, 500ms or 2min, not '" + interval + "'");
        }
        f.check(USAGE);
        useProgressInterval(interval);
        Path inputPath = Path.of(input).toAbsolutePath();
        if (!Files.exists(inputPath)) {
            throw new IllegalArgumentException("input " + inputPath + " does not exist");
        }
        FileFormat format = f.has("--format") ? FileFormat.fromName(f.get("--format"))
                : FileFormat.fromFileName(inputPath.getFileName().toString());
        FastPathScorer scorer = ScorerProvider.of(spark.get()).scorer(LocalBundleStore.open(Path.of(dir)));
        Manifest manifest = new FileScorer(spark.get(), scorer).score(inputPath.toUri().toString(), format,
                Path.of(output).toAbsolutePath().toUri().toString(), RunInfo.inline("local score command"));
        print(manifest);
        return manifest.succeeded() ? 0 : 2;
    }

    /**
     * FileScorer's progress line (ScoringProgress: rows read and written, their rates) is logged to
     * stderr at the interval Spark's {@value FileScorer#PROGRESS_INTERVAL} setting gives; the
     * setting is read from the SparkContext, so it must be in place before the session starts.
     */
    private void useProgressInterval(String interval) {
        boolean running = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
        if (!running) {
            System.setProperty(FileScorer.PROGRESS_INTERVAL, interval);
            return;
        }
        String current = spark.get().sparkContext().getConf().get(FileScorer.PROGRESS_INTERVAL, "30s");
        if (!current.equals(interval)) {
            LOG.warn("the Spark session is already running: progress is logged every {}, not {}", current, interval);
        }
    }

    void print(Object body) {
        try {
            ObjectWriter writer = Json.MAPPER.writerWithDefaultPrettyPrinter();
            out.println(writer.writeValueAsString(body));
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
