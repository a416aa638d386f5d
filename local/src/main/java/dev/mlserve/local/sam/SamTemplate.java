package dev.mlserve.local.sam;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of a SAM template the local emulator needs: each function's handler, environment,
 * timeout and memory (Globals applied, as SAM does), and its {@code Api} and {@code S3} events.
 * Intrinsics resolve against the parameters' defaults ({@link Intrinsics}).
 */
public final class SamTemplate {
    private static final String FUNCTION_TYPE = "AWS::Serverless::Function";
    private static final String API_TYPE = "AWS::Serverless::Api";
    private static final int DEFAULT_TIMEOUT = 3;
    private static final int DEFAULT_MEMORY = 128;

    private final Path source;
    private final Map<String, SamFunction> functions;
    private final String stageName;

    private SamTemplate(Path source, Map<String, Object> root) {
        this.source = source;
        Intrinsics intrinsics = new Intrinsics(parameterDefaults(root));
        Map<String, Object> globals = map(map(root.get("Globals")).get("Function"));
        Map<String, SamFunction> found = new LinkedHashMap<>();
        String stage = null;
        for (Map.Entry<String, Object> resource : map(root.get("Resources")).entrySet()) {
            Map<String, Object> body = map(resource.getValue());
            Object type = body.get("Type");
            Map<String, Object> properties = map(body.get("Properties"));
            if (FUNCTION_TYPE.equals(type)) {
                found.put(resource.getKey(), function(resource.getKey(), properties, globals, intrinsics));
            } else if (API_TYPE.equals(type) && stage == null) {
                stage = intrinsics.resolve(properties.get("StageName")).orElse(null);
            }
        }
        this.functions = found;
        this.stageName = stage == null ? "Prod" : stage;
    }

    /** @throws IllegalArgumentException when there is no such file (run from the project folder or pass --template) */
    public static SamTemplate load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no template at " + file.toAbsolutePath()
                    + ": run from the project folder or pass --template FILE");
        }
        return new SamTemplate(file, CfnYaml.load(file));
    }

    public static SamTemplate parse(String yaml) {
        return new SamTemplate(Path.of("template.yaml"), CfnYaml.parse(yaml));
    }

    public Collection<SamFunction> functions() {
        return functions.values();
    }

    /** @throws IllegalArgumentException naming the functions there are */
    public SamFunction function(String logicalId) {
        SamFunction f = functions.get(logicalId);
        if (f == null) {
            throw new IllegalArgumentException("no function '" + logicalId + "' in " + source + " (functions: "
                    + String.join(", ", functions.keySet()) + ")");
        }
        return f;
    }

    /** The stage of the first {@code AWS::Serverless::Api}, else SAM's implicit "Prod". */
    public String stageName() {
        return stageName;
    }

    public Path source() {
        return source;
    }

    private static SamFunction function(String id, Map<String, Object> properties, Map<String, Object> globals,
                                        Intrinsics intrinsics) {
        Object handlerValue = properties.containsKey("Handler") ? properties.get("Handler") : globals.get("Handler");
        String handler = intrinsics.resolve(handlerValue).orElseThrow(() -> new IllegalArgumentException(
                "function " + id + " has no Handler the emulator can read"));
        Map<String, Object> variables = new LinkedHashMap<>(map(map(globals.get("Environment")).get("Variables")));
        variables.putAll(map(map(properties.get("Environment")).get("Variables")));
        Map<String, String> environment = new LinkedHashMap<>();
        List<String> unresolved = new ArrayList<>();
        variables.forEach((name, value) -> intrinsics.resolve(value).ifPresentOrElse(
                v -> environment.put(name, v), () -> unresolved.add(name)));
        List<SamFunction.ApiRoute> routes = new ArrayList<>();
        List<SamFunction.S3Trigger> triggers = new ArrayList<>();
        for (Map.Entry<String, Object> event : map(properties.get("Events")).entrySet()) {
            Map<String, Object> e = map(event.getValue());
            Map<String, Object> p = map(e.get("Properties"));
            if ("Api".equals(e.get("Type"))) {
                String method = intrinsics.resolve(p.get("Method")).orElse("any").toUpperCase(Locale.ROOT);
                routes.add(new SamFunction.ApiRoute(event.getKey(), method,
                        intrinsics.resolve(p.get("Path")).orElseThrow(() -> new IllegalArgumentException(
                                "Api event " + event.getKey() + " of " + id + " has no Path"))));
            } else if ("S3".equals(e.get("Type"))) {
                triggers.add(s3Trigger(event.getKey(), p, intrinsics));
            }
        }
        return new SamFunction(id, handler, environment, unresolved,
                number(properties, globals, "Timeout", DEFAULT_TIMEOUT, intrinsics),
                number(properties, globals, "MemorySize", DEFAULT_MEMORY, intrinsics), routes, triggers);
    }

    private static SamFunction.S3Trigger s3Trigger(String name, Map<String, Object> properties,
                                                   Intrinsics intrinsics) {
        String prefix = "";
        String suffix = "";
        Object rules = map(map(properties.get("Filter")).get("S3Key")).get("Rules");
        if (rules instanceof List<?> list) {
            for (Object rule : list) {
                Map<String, Object> r = map(rule);
                String value = intrinsics.resolve(r.get("Value")).orElse("");
                String kind = String.valueOf(r.get("Name")).toLowerCase(Locale.ROOT);
                if (kind.equals("prefix")) {
                    prefix = value;
                } else if (kind.equals("suffix")) {
                    suffix = value;
                }
            }
        }
        return new SamFunction.S3Trigger(name, prefix, suffix);
    }

    private static int number(Map<String, Object> properties, Map<String, Object> globals, String name, int fallback,
                              Intrinsics intrinsics) {
        Object value = properties.containsKey(name) ? properties.get(name) : globals.get(name);
        Optional<String> resolved = intrinsics.resolve(value);
        try {
            return resolved.map(String::trim).map(Integer::parseInt).orElse(fallback);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Map<String, String> parameterDefaults(Map<String, Object> root) {
        Map<String, String> defaults = new LinkedHashMap<>();
        map(root.get("Parameters")).forEach((name, spec) -> {
            Object value = map(spec).get("Default");
            if (value != null) {
                defaults.put(name, value.toString());
            }
        });
        return defaults;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
