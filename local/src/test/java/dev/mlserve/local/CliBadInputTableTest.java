package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.testing.ParityPipelines;
import dev.mlserve.scoring.testing.ParityPipelines.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code score} and {@code predict} given missing files, bad files, unknown bundles and bad
 * arguments, one row each: the exit code (2 bad input or usage, 3 unknown model or bundle; never 1,
 * which is a fault of the runner) and a piece of the message, on stdout (a JSON error or a FAILED
 * manifest) or stderr (usage). docs/validation.md lists them.
 */
class CliBadInputTableTest {
    private static final String HEADER = "plan,region,tenure,charges,calls,autopay";
    private static final String GOOD = HEADER + "\nbasic,north,2.0,31.5,4,false\n";
    private static Path dir;
    private static String bundle;

    @BeforeAll
    static void files() throws IOException {
        dir = Files.createTempDirectory("mlserve-cli-bad-input");
        bundle = ParityPipelines.bundle(Kind.ONE_HOT_LOGISTIC).directory().toString();
        Files.writeString(dir.resolve("good.csv"), GOOD);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(GOOD.getBytes(StandardCharsets.UTF_8));
        }
        Files.write(dir.resolve("gzip.csv"), gz.toByteArray());
        Files.writeString(dir.resolve("plain.csv.gz"), GOOD);
        Files.writeString(dir.resolve("data.txt"), GOOD);
        Files.writeString(dir.resolve("no-plan.csv"), "region\nnorth\n");
        Files.write(dir.resolve("latin1.csv"), (HEADER + "\nbasic,M\u00fcnchen,2.0,31.5,4,false\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(dir.resolve("bad.json"), "{\"records\":[{\"plan\":3}]}");
        Files.writeString(dir.resolve("trailing.json"), "{\"records\":[]}{\"x\":1}");
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // score
                Arguments.of("score: input missing", List.of("score", "--bundle", "B", "--input", "D/nope.csv",
                        "--output", "D/out1"), 2, "does not exist"),
                Arguments.of("score: --output not given", List.of("score", "--bundle", "B", "--input", "D/good.csv"),
                        2, "--output"),
                Arguments.of("score: unknown --format", List.of("score", "--bundle", "B", "--input", "D/good.csv",
                        "--output", "D/out2", "--format", "xml"), 2, "unsupported format 'xml'"),
                Arguments.of("score: unknown extension", List.of("score", "--bundle", "B", "--input", "D/data.txt",
                        "--output", "D/out3"), 2, "unsupported file extension"),
                Arguments.of("score: bundle missing", List.of("score", "--bundle", "D/no-bundle", "--input",
                        "D/good.csv", "--output", "D/out4"), 3, "no bundle"),
                Arguments.of("score: bad --progress-interval", List.of("score", "--bundle", "B", "--input",
                        "D/good.csv", "--output", "D/out5", "--progress-interval", "soon"), 2, "--progress-interval"),
                Arguments.of("score: gzip named .csv", List.of("score", "--bundle", "B", "--input", "D/gzip.csv",
                        "--output", "D/out6"), 2, "not a text file"),
                Arguments.of("score: .csv.gz that is not gzip", List.of("score", "--bundle", "B", "--input",
                        "D/plain.csv.gz", "--output", "D/out7"), 2, "not gzip-compressed"),
                Arguments.of("score: required column missing", List.of("score", "--bundle", "B", "--input",
                        "D/no-plan.csv", "--output", "D/out8"), 2, "lacks required columns"),
                Arguments.of("score: unknown flag", List.of("score", "--bundel", "B"), 2, "unknown argument"),
                // predict
                Arguments.of("predict: input missing", List.of("predict", "--bundle", "B", "--input", "D/nope.json"),
                        2, "does not exist"),
                Arguments.of("predict: Latin-1 file", List.of("predict", "--bundle", "B", "--input", "D/latin1.csv"),
                        2, "not valid UTF-8"),
                Arguments.of("predict: gzip file", List.of("predict", "--bundle", "B", "--input", "D/gzip.csv"), 2,
                        ""),
                Arguments.of("predict: invalid record", List.of("predict", "--bundle", "B", "--input", "D/bad.json"),
                        2, "plan"),
                Arguments.of("predict: trailing JSON", List.of("predict", "--bundle", "B", "--input",
                        "D/trailing.json"), 2, "not valid JSON"),
                Arguments.of("predict: bundle missing", List.of("predict", "--bundle", "D/no-bundle", "--input",
                        "D/bad.json"), 3, "no bundle"),
                Arguments.of("predict: --repeat 0", List.of("predict", "--bundle", "B", "--repeat", "0"), 2,
                        "--repeat"),
                Arguments.of("predict: --bundle not given", List.of("predict", "--input", "D/bad.json"), 2,
                        "--bundle"),
                Arguments.of("unknown command", List.of("scroe"), 2, "unknown command 'scroe'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void command_exitsWithItsDocumentedCodeAndMessage(String name, List<String> args, int code, String message) {
        List<String> resolved = new ArrayList<>();
        for (String a : args) {
            resolved.add(a.equals("B") ? bundle : a.startsWith("D/") ? dir.resolve(a.substring(2)).toString() : a);
        }

        CliTest.Result r = CliTest.run("{\"records\":[]}", resolved.toArray(String[]::new));

        assertThat(r.code()).as(name + ": " + r.out() + r.err()).isEqualTo(code);
        assertThat(r.out() + r.err()).as(name).contains(message).doesNotContain("\tat ");
    }
}
