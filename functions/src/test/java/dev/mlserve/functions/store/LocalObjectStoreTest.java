package dev.mlserve.functions.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.functions.ports.ObjectStore;
import dev.mlserve.functions.ports.ObjectStore.ObjectInfo;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalObjectStoreTest {
    @TempDir
    Path root;

    private LocalObjectStore store() {
        return new LocalObjectStore(root.resolve("store"));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void put_thenHeadOpenDownload_answerTheContentWithMd5Etag() throws Exception {
        LocalObjectStore store = store();

        store.put("incoming/churn/a.csv", utf8("hello"), "text/csv");

        assertThat(store.head("incoming/churn/a.csv"))
                .contains(new ObjectInfo("incoming/churn/a.csv", 5, "5d41402abc4b2a76b9719d911017c592"));
        try (InputStream in = store.open("incoming/churn/a.csv")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
        }
        Path copy = root.resolve("copies/a.csv");
        store.download("incoming/churn/a.csv", copy);
        assertThat(copy).hasContent("hello");
        assertThat(store.root().resolve("incoming/churn/a.csv")).hasContent("hello");
    }

    @Test
    void head_andOpen_whenAbsent_answerEmptyAndNoSuchFile() {
        LocalObjectStore store = store();

        assertThat(store.head("jobs/none.json")).isEmpty();
        assertThatThrownBy(() -> store.open("jobs/none.json")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void putIfAbsent_whenKeyExists_answersFalseAndKeepsTheFirstContent() throws Exception {
        LocalObjectStore store = store();

        boolean first = store.putIfAbsent("jobs/by-token/t", utf8("first"), "application/json");
        boolean second = store.putIfAbsent("jobs/by-token/t", utf8("second"), "application/json");

        assertThat(first).isTrue();
        assertThat(second).isFalse();
        assertThat(store.root().resolve("jobs/by-token/t")).hasContent("first");
        assertThat(store.list("jobs/")).containsExactly("jobs/by-token/t");
    }

    @Test
    void putIfAbsent_fromManyThreadsAtOnce_letsExactlyOneWin() throws Exception {
        LocalObjectStore store = store();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                byte[] content = utf8("writer " + i);
                calls.add(() -> store.putIfAbsent("jobs/by-token/race", content, "text/plain"));
            }
            long winners = 0;
            for (Future<Boolean> f : pool.invokeAll(calls)) {
                winners += f.get() ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
            assertThat(Files.readString(store.root().resolve("jobs/by-token/race"))).startsWith("writer ");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void list_answersKeysUnderAPrefixRecursivelyInKeyOrder_withoutTemporaryFiles() throws Exception {
        LocalObjectStore store = store();
        store.put("scored/churn/b.csv/_manifest.json", utf8("{}"), "application/json");
        store.put("scored/churn/a.csv/scored/part-0.csv", utf8("x"), "text/csv");
        store.put("scored/churn/a.csv/rejected.jsonl", utf8(""), "application/x-ndjson");
        store.put("scored/other/c.csv/_manifest.json", utf8("{}"), "application/json");
        Files.writeString(store.root().resolve("scored/churn/a.csv/.mlserve-tmp-123.tmp"), "half");

        assertThat(store.list("scored/churn/")).containsExactly("scored/churn/a.csv/rejected.jsonl",
                "scored/churn/a.csv/scored/part-0.csv", "scored/churn/b.csv/_manifest.json");
        assertThat(store.list("scored/churn/a")).hasSize(2);
        assertThat(store.list("nothing/here/")).isEmpty();
        assertThat(store.list("")).hasSize(4);
    }

    @Test
    void delete_removesTheObject_andIgnoresAnAbsentOne() throws Exception {
        LocalObjectStore store = store();
        store.put("staging/j1/records.jsonl", utf8("{}"), "application/x-ndjson");

        store.delete("staging/j1/records.jsonl");
        store.delete("staging/j1/records.jsonl");

        assertThat(store.head("staging/j1/records.jsonl")).isEmpty();
    }

    @Test
    void upload_copiesALocalFileToTheKey() throws Exception {
        LocalObjectStore store = store();
        Path file = Files.writeString(root.resolve("part.csv"), "a,b\n1,2\n");

        store.upload(file, "scored/churn/x.csv/scored/part.csv", "text/csv");

        assertThat(store.root().resolve("scored/churn/x.csv/scored/part.csv")).hasContent("a,b\n1,2\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escape.csv", "incoming/../../escape.csv", "/etc/passwd", "a//b", "a/./b", "",
        "folder/", "a\\..\\b", "a\u0000b"})
    void anyOperation_withAKeyThatCouldEscapeOrIsNotAnObject_isRefused(String key) {
        LocalObjectStore store = store();

        assertThatThrownBy(() -> store.put(key, utf8("x"), "text/plain")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.head(key)).isInstanceOf(IllegalArgumentException.class);
        assertThat(root.resolve("escape.csv")).doesNotExist();
    }

    @Test
    void uri_isAFileUriUnderTheRoot_andUriOfEmptyKeyPrefixesEveryOther() {
        LocalObjectStore store = store();

        assertThat(store.uri("scored/churn/a b.csv")).isEqualTo("file:" + store.root() + "/scored/churn/a b.csv");
        assertThat(store.uri("scored/x")).startsWith(store.uri(""));
        assertThat(LocalUris.toPath(store.uri("models/churn/1"))).isEqualTo(store.root().resolve("models/churn/1"));
    }

    @Test
    void putIfMatch_replacesOnlyWhileTheEtagIsTheOneRead_andReadAnswersTheEtagOfTheBytesRead() throws Exception {
        LocalObjectStore store = store();
        store.put("scored/churn/a.csv/_manifest.json", utf8("one"), "application/json");
        ObjectStore.Stored first = store.read("scored/churn/a.csv/_manifest.json").orElseThrow();

        boolean won = store.putIfMatch("scored/churn/a.csv/_manifest.json", utf8("two"), "application/json",
                first.etag());
        boolean lost = store.putIfMatch("scored/churn/a.csv/_manifest.json", utf8("three"), "application/json",
                first.etag());
        boolean absent = store.putIfMatch("scored/churn/b.csv/_manifest.json", utf8("x"), "application/json",
                first.etag());

        assertThat(first.etag()).isEqualTo("f97c5d29941bfb1b2fdab0874906ab82"); // MD5 of "one", as S3's ETag
        assertThat(won).isTrue();
        assertThat(lost).isFalse();
        assertThat(absent).isFalse();
        assertThat(new String(store.read("scored/churn/a.csv/_manifest.json").orElseThrow().bytes(),
                StandardCharsets.UTF_8)).isEqualTo("two");
        assertThat(store.list("scored/churn/")).containsExactly("scored/churn/a.csv/_manifest.json");
    }

    @Test
    void putIfMatch_fromManyThreadsWithTheSameEtag_exactlyOneWins() throws Exception {
        LocalObjectStore store = store();
        store.put("scored/churn/a.csv/_manifest.json", utf8("zero"), "application/json");
        String etag = store.head("scored/churn/a.csv/_manifest.json").orElseThrow().etag();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                byte[] bytes = utf8("writer " + i);
                tries.add(pool.submit(() -> store.putIfMatch("scored/churn/a.csv/_manifest.json", bytes,
                        "application/json", etag)));
            }
            int wins = 0;
            for (Future<Boolean> t : tries) {
                wins += t.get() ? 1 : 0;
            }
            assertThat(wins).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void list_whileAnotherWriterPutsAndRemovesObjectsUnderThePrefix_neverFails() throws Exception {
        LocalObjectStore store = new LocalObjectStore(root.resolve("racing"));
        store.put("scored/m/a.csv/runs/r0/scored/part-0.csv", new byte[] {1}, "text/csv");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    // a put writes a temporary file beside the key, then renames it into place
                    store.put("scored/m/a.csv/runs/r1/scored/part-" + (i % 3) + ".csv", new byte[64], "text/csv");
                    if (i % 50 == 49) {
                        for (String k : store.list("scored/m/a.csv/runs/r1/")) {
                            store.delete(k);
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        writer.start();
        try {
            for (int i = 0; i < 5000; i++) {
                assertThat(store.list("scored/m/a.csv/runs/")).contains("scored/m/a.csv/runs/r0/scored/part-0.csv");
            }
        } finally {
            stop.set(true);
            writer.join();
        }
    }
}
