package dev.mlserve.local.invoke;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.local.lambda.HandlerRef;
import dev.mlserve.local.lambda.LocalContext;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The function's "container": a JVM started by {@code invoke} with the function's environment
 * set, so the handler's public no-arg constructor reads its configuration exactly as in Lambda.
 * Builds the handler once (init), then invokes it with each event file in order (a warm container),
 * printing each answer as the runtime serializes it.
 *
 * <p>Arguments: {@code --handler C::m --function NAME --timeout S --memory MB --wait-jobs S
 * [--report] EVENT...}. Without {@code --report} (one event) stdout is the answer alone, like
 * {@code sam local invoke}; with it, one JSON array of {@code {"event", "function", "response"}}
 * or {@code {"event", "function", "error"}}. A handler exception is printed as Lambda's error
 * JSON ({@code errorMessage}, {@code errorType}, {@code stackTrace}) and makes the exit code 1.
 */
public final class InvokeChild {
    private static final Logger LOG = LoggerFactory.getLogger(InvokeChild.class);

    private InvokeChild() {
    }

    record Args(String handler, String function, int timeout, int memory, int waitJobs, boolean report,
                List<Path> events) {
        static Args parse(String[] argv) {
            String handler = null;
            String function = null;
            int timeout = 3;
            int memory = 128;
            int wait = 0;
            boolean report = false;
            List<Path> events = new ArrayList<>();
            for (int i = 0; i < argv.length; i++) {
                switch (argv[i]) {
                    case "--handler" -> handler = argv[++i];
                    case "--function" -> function = argv[++i];
                    case "--timeout" -> timeout = Integer.parseInt(argv[++i]);
                    case "--memory" -> memory = Integer.parseInt(argv[++i]);
                    case "--wait-jobs" -> wait = Integer.parseInt(argv[++i]);
                    case "--report" -> report = true;
                    default -> events.add(Path.of(argv[i]));
                }
            }
            if (handler == null || function == null || events.isEmpty()) {
                throw new IllegalArgumentException("usage: InvokeChild --handler C::m --function NAME EVENT... ("
                        + String.join(" ", argv) + ")");
            }
            return new Args(handler, function, timeout, memory, wait, report, events);
        }
    }

    public static void main(String[] argv) {
        PrintStream stdout = System.out;
        System.setOut(System.err);
        int code;
        try {
            code = run(Args.parse(argv), stdout);
        } catch (RuntimeException e) {
            LOG.error("invoke failed", e);
            code = 2;
        }
        stdout.flush();
        System.exit(code);
    }

    static int run(Args args, PrintStream stdout) {
        int sep = args.handler().indexOf("::");
        String className = sep < 0 ? args.handler() : args.handler().substring(0, sep);
        String method = sep < 0 ? "handleRequest" : args.handler().substring(sep + 2);
        ArrayNode report = Json.MAPPER.createArrayNode();
        Object instance;
        HandlerRef handler;
        long initStarted = System.nanoTime();
        try {
            handler = HandlerRef.resolve(className, method, InvokeChild.class.getClassLoader());
            instance = handler.newInstance();
        } catch (Exception | LinkageError e) {
            LOG.error("init of {} failed", args.handler(), e);
            for (Path event : args.events()) {
                report.add(entry(args, event).set("error", LambdaErrors.of(e)));
            }
            print(stdout, args.report() ? report : LambdaErrors.of(e));
            return 1;
        }
        LOG.info("init: function={} handler={} ms={}", args.function(), args.handler(),
                (System.nanoTime() - initStarted) / 1_000_000);
        LocalJobWait jobWait = waitForJobs(args);
        int failures = 0;
        for (Path event : args.events()) {
            LocalContext context = new LocalContext(args.function(), args.timeout(), args.memory(), System.err);
            long started = System.nanoTime();
            ObjectNode entry = entry(args, event);
            try {
                byte[] answer = handler.invoke(instance, Files.readAllBytes(event), context);
                LOG.info("invoked: function={} event={} requestId={} ms={}", args.function(), event,
                        context.getAwsRequestId(), (System.nanoTime() - started) / 1_000_000);
                if (args.report()) {
                    entry.set("response", Json.MAPPER.readTree(answer));
                } else {
                    stdout.println(new String(answer, StandardCharsets.UTF_8));
                }
                if (jobWait != null) {
                    for (String jobId : LocalJobWait.jobIds(answer)) {
                        jobWait.await(jobId);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            } catch (Exception | LinkageError e) {
                failures++;
                LOG.error("invocation failed: function={} event={} requestId={}", args.function(), event,
                        context.getAwsRequestId(), e);
                entry.set("error", LambdaErrors.of(e));
                if (!args.report()) {
                    print(stdout, LambdaErrors.of(e));
                }
            }
            report.add(entry);
        }
        if (args.report()) {
            print(stdout, report);
        }
        return failures == 0 ? 0 : 1;
    }

    /** Only on the local backend (jobs then run in this JVM) and when asked to. */
    private static LocalJobWait waitForJobs(Args args) {
        if (args.waitJobs() <= 0) {
            return null;
        }
        FunctionConfig config = FunctionConfig.fromEnv();
        return config.isAws() ? null : new LocalJobWait(config.localStore(), Duration.ofSeconds(args.waitJobs()));
    }

    private static ObjectNode entry(Args args, Path event) {
        ObjectNode entry = Json.MAPPER.createObjectNode();
        entry.put("event", event.toString());
        entry.put("function", args.function());
        return entry;
    }

    private static void print(PrintStream stdout, Object json) {
        try {
            stdout.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
