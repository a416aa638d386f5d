package dev.mlserve.local.serve;

import dev.mlserve.functions.api.PredictHandler;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.upload.UploadHandler;
import dev.mlserve.jobs.args.Flags;
import dev.mlserve.local.sam.EnvVarsFile;
import dev.mlserve.local.sam.FunctionEnvironment;
import dev.mlserve.local.sam.SamFunction;
import dev.mlserve.local.sam.SamTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code serve [--port 3000] [--store DIR] [--template template.yaml] [--env-vars FILE]}: like
 * {@code sam local start-api}, plus S3 events for files dropped into {@code DIR/incoming/}. Both
 * functions run in this JVM ({@link InProcessFunctions}) over the embedded default: the store
 * folder (models under {@code DIR/models/<name>/<version>/}) and the in-process batch launcher.
 * Each function's configuration is its template environment (+ env-vars file) with
 * {@code MLSERVE_BACKEND=local} and {@code MLSERVE_LOCAL_STORE=DIR}; Spark's own settings
 * ({@code MLSERVE_SCRATCH_DIR}, ...) come from this process's environment.
 */
public final class ServeCommand {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    public static final String USAGE = "serve   [--port 3000] [--store DIR] [--template template.yaml]"
            + " [--env-vars FILE] [--poll-ms 1000]";

    /** A running emulator: the HTTP API, the incoming/ watcher and the functions behind them. */
    public record Running(ApiServer api, IncomingWatcher watcher, InProcessFunctions functions, RouteTable routes,
                          Path store) implements AutoCloseable {
        @Override
        public void close() {
            api.close();
            watcher.close();
            functions.close();
        }

        /** What {@code serve} prints on stdout once it listens. */
        public Map<String, Object> describe() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("url", api.url());
            d.put("routes", routes.routes().stream().map(r -> r.method() + " " + r.path() + " -> " + r.function())
                    .toList());
            d.put("store", store.toString());
            d.put("watching", watcher.folder().toString());
            return d;
        }
    }

    private ServeCommand() {
    }

    public static Running start(String[] args, Map<String, String> hostEnv) throws IOException {
        Flags f = Flags.parse(args, Set.of("--port", "--store", "--template", "--env-vars", "--poll-ms"), Set.of());
        int port = (int) f.getLong("--port", 3000, 0);
        long pollMs = f.getLong("--poll-ms", 1000, 50);
        f.check(USAGE);
        SamTemplate template = SamTemplate.load(Path.of(f.has("--template") ? f.get("--template") : "template.yaml"));
        EnvVarsFile envVars = f.has("--env-vars") ? EnvVarsFile.load(Path.of(f.get("--env-vars")))
                : EnvVarsFile.empty();
        Path store = Path.of(f.has("--store") ? f.get("--store") : "local-store").toAbsolutePath().normalize();

        SamFunction apiFunction = byHandler(template, PredictHandler.class);
        SamFunction uploadFunction = byHandler(template, UploadHandler.class);
        InProcessFunctions functions = InProcessFunctions.create(config(apiFunction, envVars, store, hostEnv),
                config(uploadFunction, envVars, store, hostEnv));

        List<RouteTable.Route> routes = new ArrayList<>();
        apiFunction.apiRoutes().forEach(r -> routes.add(new RouteTable.Route(apiFunction.logicalId(), r.method(),
                r.path())));
        RouteTable table = new RouteTable(routes);
        ApiServer api = ApiServer.start(port, table, Map.of(apiFunction.logicalId(), new ApiServer.ApiFunction(
                apiFunction.logicalId(), apiFunction.timeoutSeconds(), apiFunction.memoryMb(), functions.api())),
                template.stageName());
        List<IncomingWatcher.Listener> listeners = uploadFunction.s3Triggers().stream()
                .map(t -> new IncomingWatcher.Listener(uploadFunction.logicalId(), t, uploadFunction.timeoutSeconds(),
                        uploadFunction.memoryMb(), functions.upload()))
                .toList();
        IncomingWatcher watcher = IncomingWatcher.start(store, listeners, Duration.ofMillis(pollMs));
        for (RouteTable.Route r : table.routes()) {
            LOG.info("Mounted {} at {}{} [{}]", r.function(), api.url(), r.path(), r.method());
        }
        LOG.info("S3 events: files written under {} go to {} (filters {})", watcher.folder(),
                uploadFunction.logicalId(), uploadFunction.s3Triggers());
        return new Running(api, watcher, functions, table, store);
    }

    private static FunctionConfig config(SamFunction function, EnvVarsFile envVars, Path store,
                                         Map<String, String> hostEnv) {
        FunctionEnvironment.Resolved env = FunctionEnvironment.of(function, envVars, store, hostEnv.get("AWS_REGION"));
        return FunctionConfig.fromEnv(env.variables());
    }

    /** serve builds the two handlers it knows in-process; the template must name them. */
    private static SamFunction byHandler(SamTemplate template, Class<?> handler) {
        return template.functions().stream()
                .filter(f -> f.handlerClass().equals(handler.getName()))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no function in " + template.source()
                        + " has Handler " + handler.getName() + "::handleRequest; serve runs that handler in-process"));
    }
}
