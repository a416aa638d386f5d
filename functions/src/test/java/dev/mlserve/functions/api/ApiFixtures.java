package dev.mlserve.functions.api;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleFiles;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.json.Json;
import dev.mlserve.scoring.score.PipelineScorer;
import dev.mlserve.scoring.score.Scorer;
import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** Shared test bundles and helpers: Spark pipelines are trained and loaded once per test JVM. */
final class ApiFixtures {
    static final String REQUEST_ID = "8f6e2c1a-test-request";
    static final String MODEL = "churn";
    private static final Map<Path, Scorer> LOADED = new ConcurrentHashMap<>();
    private static Path root;

    private ApiFixtures() {
    }

    /**
     * A bundle root with {@code churn/1} and {@code churn/2} (both the parity suite's one-hot +
     * logistic regression pipeline; outputs prediction and probability) and LATEST naming 1.
     */
    static synchronized Path bundleRoot() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("mlserve-api-bundles");
                Bundle source = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC);
                for (String version : new String[] {"1", "2"}) {
                    Path dir = root.resolve(MODEL).resolve(version);
                    copy(source.directory(), dir);
                    BundleMetadata m = source.metadata();
                    BundleFiles.writeMetadata(dir, new BundleMetadata(MODEL, version, m.sparkVersion(), m.createdAt(),
                            m.inputSchema(), m.outputs(), Map.of("areaUnderROC", 0.8)));
                }
                BundleFiles.writeLatest(root, MODEL, "1");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    /** A private copy of {@link #bundleRoot()} for tests that change it (LATEST). */
    static Path copyOfBundleRoot() {
        try {
            Path copy = Files.createTempDirectory("mlserve-api-bundles-copy");
            copy(bundleRoot(), copy);
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads a bundle's pipeline once per JVM (the cache under test still decides when to ask). */
    static Scorer load(Bundle bundle) {
        return LOADED.computeIfAbsent(bundle.directory(), d -> PipelineScorer.load(TestSpark.session(), bundle));
    }

    static Context context() {
        Context context = mock(Context.class);
        when(context.getAwsRequestId()).thenReturn(REQUEST_ID);
        return context;
    }

    static JsonNode body(APIGatewayProxyResponseEvent response) {
        try {
            return Json.MAPPER.readTree(response.getBody());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (Files.exists(target)) {
                    continue;
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
