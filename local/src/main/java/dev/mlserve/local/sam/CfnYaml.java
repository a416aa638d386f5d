package dev.mlserve.local.sam;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a CloudFormation/SAM template. The short intrinsic tags ({@code !Ref X}, {@code !Sub ...},
 * {@code !GetAtt A.B}, any other {@code !Tag}) become their long JSON form ({@code {"Ref": "X"}},
 * {@code {"Fn::Sub": ...}}, {@code {"Fn::GetAtt": ["A", "B"]}}), so {@link Intrinsics} sees one
 * shape whichever way the template was written. Safe loading only: no Java types are built.
 */
public final class CfnYaml {
    private CfnYaml() {
    }

    public static Map<String, Object> load(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return asMap(new Yaml(new IntrinsicConstructor(new LoaderOptions())).load(in), file.toString());
        }
    }

    public static Map<String, Object> parse(String yaml) {
        return asMap(new Yaml(new IntrinsicConstructor(new LoaderOptions())).load(yaml), "the template");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object document, String what) {
        if (!(document instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(what + " is not a YAML mapping");
        }
        return (Map<String, Object>) map;
    }

    /** SafeConstructor plus one fallback for every tag it does not know: the intrinsic's long form. */
    private static final class IntrinsicConstructor extends SafeConstructor {
        IntrinsicConstructor(LoaderOptions options) {
            super(options);
            yamlConstructors.put(null, new ConstructIntrinsic());
        }

        private final class ConstructIntrinsic extends AbstractConstruct {
            @Override
            public Object construct(Node node) {
                String tag = node.getTag().getValue();
                String name = tag.startsWith("!") ? tag.substring(1) : tag;
                String function = name.equals("Ref") || name.equals("Condition") ? name : "Fn::" + name;
                Object value;
                if (node instanceof ScalarNode scalar) {
                    String text = constructScalar(scalar);
                    value = function.equals("Fn::GetAtt") && text.contains(".")
                            ? List.of(text.substring(0, text.indexOf('.')),
                                    text.substring(text.indexOf('.') + 1))
                            : text;
                } else if (node instanceof SequenceNode sequence) {
                    value = constructSequence(sequence);
                } else {
                    value = constructMapping((MappingNode) node);
                }
                return Map.of(function, value);
            }
        }
    }
}
