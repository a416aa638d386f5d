package dev.mlserve.local.invoke;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mlserve.jobs.args.Flags;
import dev.mlserve.local.sam.EnvVarsFile;
import dev.mlserve.local.sam.FunctionEnvironment;
import dev.mlserve.local.sam.SamFunction;
import dev.mlserve.local.sam.SamTemplate;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code invoke <LogicalId> --event FILE} (like {@code sam local invoke}) and
 * {@code invoke --events-dir DIR} (every event file of a folder, each through its function, one
 * warm JVM per function). The handler runs in a child JVM ({@link InvokeChild}) whose environment
 * is the function's ({@link FunctionEnvironment}), as SAM runs it in a container: its own no-arg
 * constructor reads the configuration. Answers go to stdout, logs to stderr; the exit code is 1
 * when a handler threw (an answer that is an HTTP error is still a successful invocation).
 */
public final class InvokeCommand {
    private static final Logger LOG = LoggerFactory.getLogger(InvokeCommand.class);
    public static final String USAGE = "invoke  <LogicalId> --event FILE | --events-dir DIR  [--env-vars FILE]"
            + " [--template template.yaml] [--store DIR] [--wait-jobs SECONDS]";
    private static final int DEFAULT_WAIT_SECONDS = 300;

    private final PrintStream out;
    private final Map<String, String> hostEnv;

    public InvokeCommand(PrintStream out, Map<String, String> hostEnv) {
        this.out = out;
        this.hostEnv = hostEnv;
    }

    public int run(String[] args) throws IOException, InterruptedException {
        String logicalId = args.length > 0 && !args[0].startsWith("--") ? args[0] : null;
        String[] rest = logicalId == null ? args : Arrays.copyOfRange(args, 1, args.length);
        Flags f = Flags.parse(rest, Set.of("--event", "--events-dir", "--env-vars", "--template", "--store",
                "--wait-jobs"), Set.of());
        if (f.has("--event") == f.has("--events-dir")) {
            f.problem("give exactly one of --event FILE or --events-dir DIR");
        }
        if (f.has("--event") && logicalId == null) {
            f.problem("name the function: invoke <LogicalId> --event FILE");
        }
        int wait = (int) f.getLong("--wait-jobs", DEFAULT_WAIT_SECONDS, 0);
        f.check(USAGE);
        SamTemplate template = SamTemplate.load(Path.of(f.has("--template") ? f.get("--template") : "template.yaml"));
        EnvVarsFile envVars = f.has("--env-vars") ? EnvVarsFile.load(Path.of(f.get("--env-vars")))
                : EnvVarsFile.empty();
        Path store = f.has("--store") ? Path.of(f.get("--store")) : null;

        if (f.has("--event")) {
            Path event = existing(f.get("--event"));
            ChildResult r = runChild(template.function(logicalId), List.of(event), envVars, store, wait, false);
            out.print(r.stdout());
            out.flush();
            return r.exitCode();
        }
        Path dir = Path.of(f.get("--events-dir"));
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--events-dir " + dir + " is not a folder");
        }
        Map<String, List<Path>> groups = EventFiles.byFunction(dir, template);
        if (logicalId != null) {
            groups.keySet().retainAll(Set.of(template.function(logicalId).logicalId()));
        }
        ArrayNode all = Json.MAPPER.createArrayNode();
        int code = 0;
        for (Map.Entry<String, List<Path>> group : groups.entrySet()) {
            ChildResult r = runChild(template.function(group.getKey()), group.getValue(), envVars, store, wait, true);
            JsonNode report = parse(r.stdout());
            if (report != null && report.isArray()) {
                report.forEach(all::add);
            }
            code = Math.max(code, r.exitCode());
        }
        out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all));
        out.flush();
        return code;
    }

    record ChildResult(int exitCode, String stdout) {
    }

    private ChildResult runChild(SamFunction function, List<Path> events, EnvVarsFile envVars, Path store, int wait,
                                 boolean report) throws IOException, InterruptedException {
        FunctionEnvironment.Resolved env = FunctionEnvironment.of(function, envVars, store, hostEnv.get("AWS_REGION"));
        if (!function.unresolved().isEmpty()) {
            LOG.info("{}: left unset (their values need a deployed stack): {}", function.logicalId(),
                    function.unresolved());
        }
        if (!env.undeclared().isEmpty()) {
            LOG.warn("{}: {} not declared in the template's Environment; passed here, but sam local invoke ignores"
                    + " undeclared variables", function.logicalId(), env.undeclared());
        }
        List<String> command = new ArrayList<>(ChildJvm.command(function.memoryMb()));
        command.addAll(List.of(InvokeChild.class.getName(), "--handler", function.handler(), "--function",
                function.logicalId(), "--timeout", Integer.toString(function.timeoutSeconds()), "--memory",
                Integer.toString(function.memoryMb()), "--wait-jobs", Integer.toString(wait)));
        if (report) {
            command.add("--report");
        }
        events.forEach(e -> command.add(e.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env.variables());
        LOG.info("invoking {} ({}) with {} event(s)", function.logicalId(), function.handler(), events.size());
        long started = System.nanoTime();
        Process process = pb.start();
        String stdout;
        try (InputStream in = process.getInputStream()) {
            stdout = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int code = process.waitFor();
        LOG.info("{} done: exit={} ms={}", function.logicalId(), code, (System.nanoTime() - started) / 1_000_000);
        return new ChildResult(code, stdout);
    }

    private static Path existing(String file) {
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("event file " + p + " does not exist");
        }
        return p;
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            LOG.error("the function's report is not JSON: {}", json);
            return null;
        }
    }
}
