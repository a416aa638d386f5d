package dev.mlserve.functions.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mlserve.functions.jobs.Tokens;
import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.store.LocalObjectStore;
import dev.mlserve.functions.upload.UploadService.Action;
import dev.mlserve.functions.upload.UploadService.Outcome;
import dev.mlserve.functions.upload.UploadService.Upload;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleStore;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import dev.mlserve.scoring.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentCaptor;

class UploadServiceTest {
    private static final String BUCKET = "mlserve-bucket";
    private static final long INLINE_MAX = 100;

    @TempDir
    Path temp;
    private LocalObjectStore local;
    private RecordingStore store;
    private final BundleStore bundles = mock(BundleStore.class);
    private final Jobs jobs = mock(Jobs.class);
    private final AtomicReference<RunInfo> scoredRun = new AtomicReference<>();
    private volatile int inlineCalls;
    private RuntimeException scoringFault;
    private Manifest.Output localOutput;
    private String scoringStatus = Manifest.SUCCEEDED;
    private UploadService service;
    /** Runs inside each inline scoring, after the input was read: where a test holds a run mid-scoring. */
    private volatile Runnable duringScoring = () -> { };

    /** Writes what FileScorer writes locally, including Hadoop's checksum files. */
    private final InlineScoring inline = (bundle, input, format, output, run) -> {
        synchronized (this) {
            inlineCalls++;
        }
        duringScoring.run();
        if (scoringFault != null) {
            throw scoringFault;
        }
        scoredRun.set(run);
        try {
            Files.createDirectories(output.resolve("scored"));
            Files.writeString(output.resolve("scored/part-00000-abc.csv"), "plan,prediction\nbasic,1.0\n");
            Files.writeString(output.resolve("scored/.part-00000-abc.csv.crc"), "crc");
            Files.writeString(output.resolve("scored/_SUCCESS"), "");
            Files.writeString(output.resolve("rejected.jsonl"), "{\"row\":{},\"errors\":[]}\n");
            Files.writeString(output.resolve("_manifest.json"), "{}");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        localOutput = new Manifest.Output("file:" + output + "/scored", "file:" + output + "/rejected.jsonl");
        boolean ok = scoringStatus.equals(Manifest.SUCCEEDED);
        return new Manifest(scoringStatus, "file:" + input, run.inputEtag(), run.inputVersionId(), format.extension(), "churn", "3", 2, 1, 1,
                run.route(), run.routeReason(), run.jobId(), ok ? localOutput : null, ok ? List.of("prediction") : null,
                "2026-11-25T06:00:00Z", "2026-11-25T06:00:01Z", 1000, ok ? null : "the file has no header", null);
    };

    @BeforeEach
    void setUp() {
        local = new LocalObjectStore(temp.resolve("bucket"));
        store = new RecordingStore(local);
        when(bundles.currentVersion("churn")).thenReturn("3");
        when(bundles.currentVersion("nope")).thenThrow(new ModelNotFoundException("unknown model 'nope'"));
        when(bundles.fetch("churn", "3")).thenReturn(new Bundle(null, temp.resolve("bundle")));
        service = new UploadService(store, bundles, inline, jobs,
                new UploadService.Settings(BUCKET, "models/", INLINE_MAX, temp.resolve("scratch")));
    }

    private Upload upload(String key, String content) throws Exception {
        local.put(key, content.getBytes(StandardCharsets.UTF_8), "text/csv");
        return new Upload(BUCKET, key, local.head(key).orElseThrow().etag(), (long) content.length());
    }

    private JsonNode manifest(String prefix) throws Exception {
        return Json.MAPPER.readTree(Files.readAllBytes(local.path(prefix + "_manifest.json")));
    }

    @Test
    void handle_smallCsv_scoresIntoARunFolderOfItsOwnThenCommitsTheManifestLast() throws Exception {
        Upload upload = upload("incoming/churn/a.csv", "plan\nbasic\n");

        Outcome outcome = service.handle(upload);

        assertThat(outcome.action()).isEqualTo(Action.SCORED_INLINE);
        assertThat(outcome.where()).isEqualTo("scored/churn/a.csv/");
        String run = onlyRunFolder("scored/churn/a.csv/");
        assertThat(run).matches("scored/churn/a\\.csv/runs/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}/");
        assertThat(store.writtenKeys()).containsExactly(run + "rejected.jsonl", run + "scored/_SUCCESS",
                run + "scored/part-00000-abc.csv", "scored/churn/a.csv/_manifest.json");
        assertThat(store.writes).last().isEqualTo("putIfAbsent scored/churn/a.csv/_manifest.json");
        JsonNode m = manifest("scored/churn/a.csv/");
        assertThat(m.path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(m.path("input").asText()).isEqualTo(local.uri("incoming/churn/a.csv"));
        assertThat(m.path("inputEtag").asText()).isEqualTo(upload.etag());
        assertThat(m.path("output").path("scored").asText()).isEqualTo(local.uri(run + "scored/"));
        assertThat(m.path("output").path("rejected").asText()).isEqualTo(local.uri(run + "rejected.jsonl"));
        assertThat(m.path("route").asText()).isEqualTo("inline");
        assertThat(m.path("routeReason").asText()).isEqualTo("object of 11 bytes <= upload inline limit of 100 bytes");
        assertThat(scoredRun.get()).isEqualTo(new RunInfo("inline",
                "object of 11 bytes <= upload inline limit of 100 bytes", null, upload.etag(), null,
                local.uri("incoming/churn/a.csv")));
        assertThat(Files.list(temp.resolve("scratch"))).isEmpty();
        verifyNoInteractions(jobs);
    }

    @Test
    void handle_eventOfAVersionedBucket_recordsTheVersionIdAndTheUploadInTheManifest() throws Exception {
        Upload plain = upload("incoming/churn/a.csv", "plan\nbasic\n");
        Upload versioned = new Upload(plain.bucket(), plain.key(), plain.etag(), "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
                plain.size());

        service.handle(versioned);

        JsonNode m = manifest("scored/churn/a.csv/");
        assertThat(m.path("inputVersionId").asText()).isEqualTo("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
        assertThat(m.path("input").asText()).isEqualTo(local.uri("incoming/churn/a.csv"));
    }

    /** The one run folder under a result (fails when there are none or several). */
    private String onlyRunFolder(String result) throws Exception {
        List<String> folders = local.list(result + "runs/").stream()
                .map(k -> k.substring(0, k.indexOf('/', (result + "runs/").length()) + 1))
                .distinct().toList();
        assertThat(folders).as("run folders under %s", result).hasSize(1);
        return folders.get(0);
    }

    @Test
    void handle_sameObjectDeliveredTwice_scoresOnceAndAnswersAlreadyDone() throws Exception {
        Upload upload = upload("incoming/churn/a.csv", "plan\nbasic\n");

        service.handle(upload);
        int writesAfterFirst = store.writes.size();
        Outcome second = service.handle(upload);

        assertThat(second.action()).isEqualTo(Action.ALREADY_DONE);
        assertThat(inlineCalls).isEqualTo(1);
        assertThat(store.writes).hasSize(writesAfterFirst);
    }

    @Test
    void handle_newVersionOfTheSameKey_commitsOverTheOldManifestWithIfMatchThenRemovesTheOldRun() throws Exception {
        service.handle(upload("incoming/churn/a.csv", "plan\nbasic\n"));
        String oldRun = onlyRunFolder("scored/churn/a.csv/");
        store.writes.clear();

        Upload second = upload("incoming/churn/a.csv", "plan\npremium\n");
        Outcome outcome = service.handle(second);

        assertThat(outcome.action()).isEqualTo(Action.SCORED_INLINE);
        String newRun = onlyRunFolder("scored/churn/a.csv/");
        assertThat(newRun).isNotEqualTo(oldRun);
        assertThat(store.writes).contains("putIfMatch scored/churn/a.csv/_manifest.json");
        assertThat(store.writes.indexOf("putIfMatch scored/churn/a.csv/_manifest.json"))
                .as("the old run goes only after the commit")
                .isLessThan(store.writes.indexOf("delete " + oldRun + "rejected.jsonl"));
        assertThat(manifest("scored/churn/a.csv/").path("inputEtag").asText()).isEqualTo(second.etag());
        assertThat(manifest("scored/churn/a.csv/").path("output").path("scored").asText())
                .isEqualTo(local.uri(newRun + "scored/"));
        assertThat(inlineCalls).isEqualTo(2);
    }

    @Test
    void handle_secondEventForTheSameVersionArrivingWhileTheFirstIsScoring_givesExactlyOneResult() throws Exception {
        Upload upload = upload("incoming/churn/a.csv", "plan\nbasic\n");
        CyclicBarrier bothScoring = new CyclicBarrier(2);
        duringScoring = () -> await(bothScoring);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Outcome> first = pool.submit(() -> service.handle(upload));
            Future<Outcome> second = pool.submit(() -> service.handle(upload));

            List<Action> actions = List.of(first.get(30, TimeUnit.SECONDS).action(),
                    second.get(30, TimeUnit.SECONDS).action());

            assertThat(actions).containsExactlyInAnyOrder(Action.SCORED_INLINE, Action.ALREADY_DONE);
        } finally {
            pool.shutdownNow();
        }
        assertThat(inlineCalls).as("both were scoring at once").isEqualTo(2);
        String run = onlyRunFolder("scored/churn/a.csv/");
        assertThat(manifest("scored/churn/a.csv/").path("output").path("scored").asText())
                .isEqualTo(local.uri(run + "scored/"));
    }

    @Test
    void handle_overwriteWhileTheOlderVersionIsScoring_endsWithTheNewerVersionsResultOnly() throws Exception {
        Upload older = upload("incoming/churn/a.csv", "plan\nbasic\n");
        CountDownLatch olderScoring = new CountDownLatch(1);
        CountDownLatch newerCommitted = new CountDownLatch(1);
        duringScoring = () -> {
            if (olderScoring.getCount() > 0) {
                olderScoring.countDown();
                await(newerCommitted);
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> first = pool.submit(() -> service.handle(older));
            assertThat(olderScoring.await(30, TimeUnit.SECONDS)).isTrue();
            Upload newer = upload("incoming/churn/a.csv", "plan\npremium\npremium\n");
            Outcome second = service.handle(newer);
            newerCommitted.countDown();

            Outcome late = first.get(30, TimeUnit.SECONDS);

            assertThat(second.action()).isEqualTo(Action.SCORED_INLINE);
            assertThat(late.action()).isEqualTo(Action.IGNORED);
            assertThat(late.detail()).contains("replaced while being scored");
            assertThat(manifest("scored/churn/a.csv/").path("inputEtag").asText()).isEqualTo(newer.etag());
        } finally {
            pool.shutdownNow();
        }
        String run = onlyRunFolder("scored/churn/a.csv/");
        assertThat(manifest("scored/churn/a.csv/").path("output").path("scored").asText())
                .isEqualTo(local.uri(run + "scored/"));
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("timed out");
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void handle_unsupportedExtension_writesAFailedManifestNamingTheExtension() throws Exception {
        Outcome outcome = service.handle(upload("incoming/churn/report.xlsx", "binary"));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        JsonNode m = manifest("scored/churn/report.xlsx/");
        assertThat(m.path("status").asText()).isEqualTo("FAILED");
        assertThat(m.path("error").asText()).contains("unsupported file extension").contains("report.xlsx");
        assertThat(m.path("model").asText()).isEqualTo("churn");
        assertThat(inlineCalls).isZero();
    }

    @Test
    void handle_emptyObject_writesAFailedManifestSayingItIsEmpty() throws Exception {
        Outcome outcome = service.handle(upload("incoming/churn/empty.csv", ""));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        assertThat(manifest("scored/churn/empty.csv/").path("error").asText()).isEqualTo("the object is empty");
        assertThat(inlineCalls).isZero();
    }

    @Test
    void handle_unknownModel_writesAFailedManifestNamingTheModel() throws Exception {
        Outcome outcome = service.handle(upload("incoming/nope/a.csv", "plan\nbasic\n"));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        JsonNode m = manifest("scored/nope/a.csv/");
        assertThat(m.path("status").asText()).isEqualTo("FAILED");
        assertThat(m.path("error").asText()).contains("unknown model 'nope'");
        verifyNoInteractions(jobs);
    }

    @Test
    void handle_sameObjectAfterItsModelWasDeployed_isScoredInsteadOfSkipped() throws Exception {
        Upload upload = upload("incoming/later/a.csv", "plan\nbasic\n");
        when(bundles.currentVersion("later")).thenThrow(new ModelNotFoundException("unknown model 'later'"))
                .thenReturn("3");
        when(bundles.fetch("later", "3")).thenReturn(new Bundle(null, temp.resolve("bundle")));

        Outcome refused = service.handle(upload);
        Outcome scored = service.handle(upload);

        assertThat(refused.action()).isEqualTo(Action.REFUSED);
        assertThat(scored.action()).isEqualTo(Action.SCORED_INLINE);
        assertThat(manifest("scored/later/a.csv/").path("status").asText()).isEqualTo("SUCCEEDED");
    }

    @Test
    void handle_keyNamingNoModelFolder_writesAFailedManifestUnderUnroutable() throws Exception {
        Outcome outcome = service.handle(upload("incoming/a.csv", "plan\nbasic\n"));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        String prefix = "scored/_unroutable/" + Tokens.sha256Hex("incoming/a.csv").substring(0, 16) + "/";
        assertThat(outcome.where()).isEqualTo(prefix);
        assertThat(manifest(prefix).path("error").asText()).contains("names no model folder");
        assertThat(manifest(prefix).path("input").asText()).isEqualTo(local.uri("incoming/a.csv"));
    }

    @Test
    void handle_keyOutsideIncoming_writesAFailedManifestUnderUnroutable() throws Exception {
        Outcome outcome = service.handle(upload("uploads/churn/a.csv", "plan\nbasic\n"));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        assertThat(outcome.detail()).contains("only objects under incoming/");
        assertThat(store.writtenKeys()).singleElement().asString().startsWith("scored/_unroutable/");
    }

    @Test
    void handle_keyNestedInsideAnotherUploadsResultFolder_isRefusedUnderUnroutableAndLeavesThatResultAlone()
            throws Exception {
        service.handle(upload("incoming/churn/a.csv", "plan\nbasic\n"));
        List<String> before = local.list("scored/churn/a.csv/");

        // (a local folder cannot hold both objects; S3 can, and the key is refused before it is read)
        Outcome outcome = service.handle(new Upload(BUCKET, "incoming/churn/a.csv/scored/x.csv", "e", 11L));
        Outcome again = service.handle(upload("incoming/churn/a.csv", "plan\npremium\n"));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        assertThat(outcome.detail()).contains("inside a folder named like an upload ('a.csv')");
        assertThat(outcome.where()).startsWith("scored/_unroutable/");
        assertThat(manifest(outcome.where()).path("status").asText()).isEqualTo("FAILED");
        assertThat(again.action()).isEqualTo(Action.SCORED_INLINE);
        assertThat(before).contains("scored/churn/a.csv/_manifest.json");
        assertThat(local.list("scored/")).noneMatch(k -> k.startsWith("scored/churn/a.csv/scored/x.csv"));
    }

    @Test
    void handle_folderNotNamedLikeAnUpload_isScoredIntoItsSubFolder() throws Exception {
        Outcome outcome = service.handle(upload("incoming/churn/2026/11/a.csv", "plan\nbasic\n"));

        assertThat(outcome.action()).isEqualTo(Action.SCORED_INLINE);
        assertThat(outcome.where()).isEqualTo("scored/churn/2026/11/a.csv/");
    }

    @Test
    void handle_thousandByteKey_isRefusedUnderUnroutableBeforeAnythingIsCleared() throws Exception {
        service.handle(upload("incoming/churn/a.csv", "plan\nbasic\n"));
        String name = "é".repeat(490) + ".csv"; // 980 bytes of UTF-8 in 494 characters
        String key = "incoming/churn/" + name;
        Upload upload = new Upload(BUCKET, key, "0123456789abcdef0123456789abcdef", 11L);

        Outcome outcome = service.handle(upload);

        assertThat(key.getBytes(StandardCharsets.UTF_8)).hasSizeBetween(990, 1010);
        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        assertThat(outcome.detail()).contains("too long").contains("at most 865 bytes");
        String prefix = "scored/_unroutable/" + Tokens.sha256Hex(key).substring(0, 16) + "/";
        assertThat(outcome.where()).isEqualTo(prefix);
        assertThat(manifest(prefix).path("status").asText()).isEqualTo("FAILED");
        assertThat(manifest("scored/churn/a.csv/").path("status").asText()).isEqualTo("SUCCEEDED");
    }

    @Test
    void handle_keyWithAnEmptySegment_isRefusedWithoutTouchingTheKey() throws Exception {
        Outcome outcome = service.handle(new Upload(BUCKET, "incoming/churn//a.csv", "e", 5L));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        assertThat(outcome.where()).startsWith("scored/_unroutable/");
    }

    @Test
    void handle_eventForThisServicesOwnOutput_isIgnoredAndWritesNothing() throws Exception {
        Outcome outcome = service.handle(upload("scored/churn/a.csv/_manifest.json", "{}"));

        assertThat(outcome.action()).isEqualTo(Action.IGNORED);
        assertThat(store.writes).isEmpty();
    }

    @Test
    void handle_folderMarker_isIgnored() throws Exception {
        Outcome outcome = service.handle(new Upload(BUCKET, "incoming/churn/", "d41d8cd98f00b204e9800998ecf8427e", 0L));

        assertThat(outcome.action()).isEqualTo(Action.IGNORED);
        assertThat(store.writes).isEmpty();
    }

    @Test
    void handle_objectReplacedSinceTheEvent_isIgnoredForItsOwnEvent() throws Exception {
        upload("incoming/churn/a.csv", "plan\nbasic\n");

        Outcome outcome = service.handle(new Upload(BUCKET, "incoming/churn/a.csv", "an-older-etag", 11L));

        assertThat(outcome.action()).isEqualTo(Action.IGNORED);
        assertThat(inlineCalls).isZero();
        assertThat(store.writes).isEmpty();
    }

    @Test
    void handle_objectOverwrittenWhileTheUploadIsRead_isIgnoredAndNothingIsScoredUnderTheOldEtag()
            throws Exception {
        Upload upload = upload("incoming/churn/a.csv", "plan\nbasic\n");
        store.afterDownload = () -> {
            try {
                local.put("incoming/churn/a.csv", "plan\npremium\npremium\n".getBytes(StandardCharsets.UTF_8),
                        "text/csv");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };

        Outcome outcome = service.handle(upload);

        assertThat(outcome.action()).isEqualTo(Action.IGNORED);
        assertThat(outcome.detail()).contains("replaced while being read");
        assertThat(inlineCalls).isZero();
        assertThat(local.head("scored/churn/a.csv/_manifest.json")).isEmpty();
    }

    @Test
    void handle_inLocalEmulationAnEventWithSamsPlaceholderEtag_scoresTheCurrentObject() throws Exception {
        UploadService emulated = new UploadService(store, bundles, inline, jobs,
                new UploadService.Settings(null, "models/", INLINE_MAX, temp.resolve("scratch")));
        Upload real = upload("incoming/churn/a.csv", "plan\nbasic\n");

        Outcome outcome = emulated.handle(new Upload(BUCKET, real.key(), "0123456789abcdef0123456789abcdef", 11L));

        assertThat(outcome.action()).isEqualTo(Action.SCORED_INLINE);
        assertThat(manifest("scored/churn/a.csv/").path("inputEtag").asText()).isEqualTo(real.etag());
    }

    @Test
    void handle_eventFromAnotherBucket_failsAsAConfigurationFault() throws Exception {
        Upload upload = upload("incoming/churn/a.csv", "plan\nbasic\n");

        assertThatThrownBy(() -> service.handle(new Upload("other-bucket", upload.key(), upload.etag(), 11L)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("other-bucket");
    }

    @Test
    void handle_objectOverTheInlineLimit_submitsOneBatchJobWithADeterministicToken() throws Exception {
        Upload upload = upload("incoming/churn/big.csv", "plan\n" + "basic\n".repeat(30));
        String token = Tokens.forUpload(BUCKET, "incoming/churn/big.csv", upload.etag());
        when(jobs.submit(any(), eq("churn"), eq("3"), anyString())).thenReturn(new JobStatus("upload-" +
                token.substring(0, 32), "SUBMITTED", "churn", "3", "out", "r", null, null, null, null));

        Outcome outcome = service.handle(upload);
        service.handle(upload);

        assertThat(outcome.action()).isEqualTo(Action.BATCH_SUBMITTED);
        ArgumentCaptor<BatchJob> job = ArgumentCaptor.forClass(BatchJob.class);
        String reason = "object of 185 bytes > upload inline limit of 100 bytes";
        verify(jobs, times(2)).submit(job.capture(), eq("churn"), eq("3"), eq(reason));
        assertThat(job.getAllValues().get(1)).isEqualTo(job.getAllValues().get(0));
        BatchJob sent = job.getValue();
        assertThat(sent.clientToken()).isEqualTo(token);
        assertThat(sent.jobId()).isEqualTo("upload-" + token.substring(0, 32));
        assertThat(sent.bundleUri()).isEqualTo(local.uri("models/churn/3"));
        assertThat(sent.inputUri()).isEqualTo(local.uri("staging/" + sent.jobId() + "/input.csv"));
        assertThat(sent.sourceUri()).isEqualTo(local.uri("incoming/churn/big.csv"));
        assertThat(local.open("staging/" + sent.jobId() + "/input.csv").readAllBytes())
                .isEqualTo(local.open("incoming/churn/big.csv").readAllBytes());
        assertThat(sent.format()).isEqualTo("csv");
        assertThat(sent.outputUri()).isEqualTo(local.uri("scored/churn/big.csv"));
        assertThat(sent.inputEtag()).isEqualTo(upload.etag());
        assertThat(sent.routeReason()).isEqualTo(reason);
        assertThat(sent.tags()).containsEntry("model", "churn").containsEntry("version", "3");
        assertThat(inlineCalls).isZero();
        assertThat(store.writes).as("one pinned copy for both deliveries, nothing under scored/")
                .containsExactly("upload staging/" + sent.jobId() + "/input.csv");
    }

    @Test
    void handle_smallObjectHoldingMoreRowsThanTheInlineLimit_goesToTheBatchRouteSayingWhy() throws Exception {
        service = new UploadService(store, bundles, inline, jobs, new UploadService.Settings(BUCKET, "models/",
                INLINE_MAX, temp.resolve("scratch"), new InlineLimits(10, 1L << 20)));
        when(jobs.submit(any(), eq("churn"), eq("3"), anyString())).thenAnswer(call -> new JobStatus(
                ((BatchJob) call.getArgument(0)).jobId(), "SUBMITTED", "churn", "3", "out", "r", null, null, null, null));
        Upload upload = upload("incoming/churn/rows.csv", "plan\n" + "a\n".repeat(20));

        Outcome outcome = service.handle(upload);

        assertThat(outcome.action()).isEqualTo(Action.BATCH_SUBMITTED);
        assertThat(inlineCalls).isZero();
        ArgumentCaptor<String> reason = ArgumentCaptor.forClass(String.class);
        verify(jobs).submit(any(), eq("churn"), eq("3"), reason.capture());
        assertThat(reason.getValue()).isEqualTo("object of 45 bytes within the upload inline limit of 100 bytes,"
                + " but it holds more than 10 rows (inline limit)");
    }

    @Test
    void handle_whenScoringHitsARealFault_rethrowsAndWritesNoManifest() throws Exception {
        scoringFault = new IllegalStateException("executor lost");

        assertThatThrownBy(() -> service.handle(upload("incoming/churn/a.csv", "plan\nbasic\n")))
                .hasMessage("executor lost");
        assertThat(local.head("scored/churn/a.csv/_manifest.json")).isEmpty();
        assertThat(Files.list(temp.resolve("scratch"))).isEmpty();
    }

    @Test
    void handle_fileTheScorerRefuses_publishesItsFailedManifest() throws Exception {
        scoringStatus = Manifest.FAILED;

        Outcome outcome = service.handle(upload("incoming/churn/a.csv", "no header"));

        assertThat(outcome.action()).isEqualTo(Action.REFUSED);
        assertThat(outcome.detail()).isEqualTo("the file has no header");
        JsonNode m = manifest("scored/churn/a.csv/");
        assertThat(m.path("status").asText()).isEqualTo("FAILED");
        assertThat(m.has("output")).isFalse();
    }

    @Test
    void handle_never_writesUnderIncoming() throws Exception {
        service.handle(upload("incoming/churn/a.csv", "plan\nbasic\n"));
        service.handle(upload("incoming/churn/x.txt", "text"));
        service.handle(upload("incoming/nope/a.csv", "plan\n"));

        assertThat(store.writtenKeys()).noneMatch(k -> k.startsWith("incoming/"));
        verify(jobs, never()).submit(any(), any(), any(), any());
    }
}
