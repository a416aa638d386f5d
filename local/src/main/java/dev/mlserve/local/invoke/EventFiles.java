package dev.mlserve.local.invoke;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.local.sam.SamFunction;
import dev.mlserve.local.sam.SamTemplate;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event files of a folder, each assigned to the template's function that receives that kind
 * of event: API Gateway proxy events ({@code httpMethod}) to the function with {@code Api}
 * events, S3 notifications ({@code Records[].eventSource = aws:s3}) to the one with {@code S3}
 * events. Other JSON files (such as env.json) are skipped.
 */
final class EventFiles {
    private static final Logger LOG = LoggerFactory.getLogger(EventFiles.class);

    enum Kind { API, S3, OTHER }

    private EventFiles() {
    }

    static Kind kind(Path file) throws IOException {
        JsonNode root = Json.MAPPER.readTree(file.toFile());
        if (root != null && root.has("httpMethod")) {
            return Kind.API;
        }
        if (root != null && "aws:s3".equals(root.path("Records").path(0).path("eventSource").asText())) {
            return Kind.S3;
        }
        return Kind.OTHER;
    }

    /** Function logical id to its event files (in file-name order). */
    static Map<String, List<Path>> byFunction(Path dir, SamTemplate template) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        Map<String, List<Path>> assigned = new LinkedHashMap<>();
        for (Path file : files) {
            Kind kind = kind(file);
            if (kind == Kind.OTHER) {
                LOG.info("not an API Gateway or S3 event, skipped: {}", file);
                continue;
            }
            assigned.computeIfAbsent(receiver(template, kind), k -> new ArrayList<>()).add(file);
        }
        return assigned;
    }

    private static String receiver(SamTemplate template, Kind kind) {
        List<String> ids = template.functions().stream()
                .filter(f -> kind == Kind.API ? !f.apiRoutes().isEmpty() : !f.s3Triggers().isEmpty())
                .map(SamFunction::logicalId)
                .toList();
        if (ids.size() != 1) {
            throw new IllegalArgumentException("cannot tell which function receives " + kind + " events (candidates: "
                    + ids + "); invoke them one by one: invoke <LogicalId> --event FILE");
        }
        return ids.get(0);
    }
}
