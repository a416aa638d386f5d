package dev.mlserve.local.sam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves the values of a template the way SAM CLI does locally: plain values as strings,
 * {@code Ref} to a parameter's default or a pseudo parameter, {@code Fn::Sub} and
 * {@code Fn::Join} when every part resolves. Anything needing a deployed resource
 * ({@code Fn::GetAtt}, {@code Ref} to a resource, imports) does not resolve: empty.
 */
public final class Intrinsics {
    /** SAM CLI's local values of the pseudo parameters. */
    static final Map<String, String> PSEUDO = Map.of(
            "AWS::AccountId", "123456789012",
            "AWS::Partition", "aws",
            "AWS::Region", "us-east-1",
            "AWS::StackName", "local",
            "AWS::StackId", "arn:aws:cloudformation:us-east-1:123456789012:stack/local/51af3dc0-da77-11e4-872e-1234567db123",
            "AWS::URLSuffix", "amazonaws.com");
    private static final Pattern SUB = Pattern.compile("\\$\\{([^}]*)}");

    private final Map<String, String> parameters;

    /** @param parameters parameter name to its value (the template's defaults, possibly overridden) */
    public Intrinsics(Map<String, String> parameters) {
        this.parameters = Map.copyOf(parameters);
    }

    /** The value as a string, or empty when it needs something only a deployment has. */
    public Optional<String> resolve(Object value) {
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
            return Optional.of(value.toString());
        }
        if (value instanceof Map<?, ?> map && map.size() == 1) {
            Map.Entry<?, ?> fn = map.entrySet().iterator().next();
            return switch (String.valueOf(fn.getKey())) {
                case "Ref" -> ref(String.valueOf(fn.getValue()));
                case "Fn::Sub" -> sub(fn.getValue());
                case "Fn::Join" -> join(fn.getValue());
                default -> Optional.empty();
            };
        }
        return Optional.empty();
    }

    private Optional<String> ref(String name) {
        if (parameters.containsKey(name)) {
            return Optional.of(parameters.get(name));
        }
        return Optional.ofNullable(PSEUDO.get(name));
    }

    private Optional<String> sub(Object argument) {
        String text;
        Map<?, ?> variables = Map.of();
        if (argument instanceof String s) {
            text = s;
        } else if (argument instanceof List<?> list && list.size() == 2 && list.get(0) instanceof String s
                && list.get(1) instanceof Map<?, ?> vars) {
            text = s;
            variables = vars;
        } else {
            return Optional.empty();
        }
        StringBuilder out = new StringBuilder();
        Matcher m = SUB.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            Optional<String> replacement;
            if (name.startsWith("!")) {
                replacement = Optional.of("${" + name.substring(1) + "}");
            } else if (variables.containsKey(name)) {
                replacement = resolve(variables.get(name));
            } else {
                replacement = name.contains(".") ? Optional.empty() : ref(name);
            }
            if (replacement.isEmpty()) {
                return Optional.empty();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement.get()));
        }
        m.appendTail(out);
        return Optional.of(out.toString());
    }

    private Optional<String> join(Object argument) {
        if (!(argument instanceof List<?> list) || list.size() != 2 || !(list.get(1) instanceof List<?> parts)) {
            return Optional.empty();
        }
        List<String> resolved = new ArrayList<>();
        for (Object part : parts) {
            Optional<String> r = resolve(part);
            if (r.isEmpty()) {
                return Optional.empty();
            }
            resolved.add(r.get());
        }
        return Optional.of(String.join(String.valueOf(list.get(0)), resolved));
    }
}
