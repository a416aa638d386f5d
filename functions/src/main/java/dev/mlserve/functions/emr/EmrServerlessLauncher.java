package dev.mlserve.functions.emr;

import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.ports.BatchLauncher;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.emrserverless.model.ConfigurationOverrides;
import software.amazon.awssdk.services.emrserverless.model.GetJobRunRequest;
import software.amazon.awssdk.services.emrserverless.model.JobRun;
import software.amazon.awssdk.services.emrserverless.model.ResourceNotFoundException;
import software.amazon.awssdk.services.emrserverless.model.StartJobRunRequest;
import software.amazon.awssdk.services.emrserverless.model.StartJobRunResponse;

/**
 * Runs the batch job on EMR Serverless: {@code StartJobRun} of the emr-jobs jar's
 * {@value #JOB_CLASS} with the job's arguments, {@code GetJobRun} for its state (mapped by
 * {@link EmrStates}). Throttled calls are retried with bounded backoff, then answered with a
 * {@link dev.mlserve.functions.ports.ThrottledException}. StartJobRun is idempotent per
 * clientToken in the real service, so a retried start never runs twice there.
 */
public final class EmrServerlessLauncher implements BatchLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(EmrServerlessLauncher.class);

    /** The batch job's main class in the emr-jobs jar. */
    public static final String JOB_CLASS = "dev.mlserve.jobs.score.BatchScoreJob";
    /** The flags of {@code BatchScoreJob}'s arguments. */
    public static final String BUNDLE = "--bundle";
    public static final String INPUT = "--input";
    public static final String FORMAT = "--format";
    public static final String OUTPUT = "--output";
    public static final String JOB_ID = "--job-id";
    public static final String INPUT_ETAG = "--input-etag";
    public static final String INPUT_VERSION_ID = "--input-version-id";
    public static final String SOURCE = "--source";
    public static final String ROUTE_REASON = "--route-reason";
    /** The tag every run carries with our job id. */
    public static final String JOB_ID_TAG = "mlserve:job-id";

    private static final Pattern CLIENT_TOKEN = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern TAG_TEXT_BAD = Pattern.compile("[^A-Za-z0-9 /_.:=+@-]");

    private final EmrServerlessClient emr;
    private final Settings settings;
    private final Backoff backoff;

    /**
     * Where and how jobs run.
     *
     * @param logUri S3 prefix for driver and executor logs, or null for none
     * @param executorCores {@code spark.executor.cores}
     * @param executorMemory {@code spark.executor.memory}
     */
    public record Settings(String applicationId, String executionRoleArn, String jobJarUri, String logUri,
                           int timeoutMinutes, int executorCores, String executorMemory) {
        /** EMR Serverless's default worker: 4 vCPU, 16 GB of which 14g for the executor heap. */
        public static final int DEFAULT_EXECUTOR_CORES = 4;
        public static final String DEFAULT_EXECUTOR_MEMORY = "14g";

        public Settings {
            Objects.requireNonNull(applicationId, FunctionConfig.EMR_APPLICATION_ID);
            Objects.requireNonNull(executionRoleArn, FunctionConfig.EMR_JOB_ROLE_ARN);
            Objects.requireNonNull(jobJarUri, FunctionConfig.EMR_JOB_JAR_URI);
        }

        public static Settings from(FunctionConfig config) {
            return new Settings(config.emrApplicationId(), config.emrJobRoleArn(), config.emrJobJarUri(),
                    config.emrLogUri(), config.emrJobTimeoutMinutes(), DEFAULT_EXECUTOR_CORES,
                    DEFAULT_EXECUTOR_MEMORY);
        }
    }

    public EmrServerlessLauncher(EmrServerlessClient emr, Settings settings) {
        this(emr, settings, Backoff.standard());
    }

    EmrServerlessLauncher(EmrServerlessClient emr, Settings settings, Backoff backoff) {
        this.emr = Objects.requireNonNull(emr, "emr");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
    }

    @Override
    public String start(BatchJob job) {
        StartJobRunRequest request = request(job);
        long started = System.nanoTime();
        StartJobRunResponse response = backoff.call("StartJobRun", () -> emr.startJobRun(request));
        LOG.info("emr job run started: jobId={} runId={} application={} ms={}", job.jobId(), response.jobRunId(),
                settings.applicationId(), (System.nanoTime() - started) / 1_000_000);
        return response.jobRunId();
    }

    @Override
    public JobState state(String runId) {
        return jobRun(runId).map(run -> EmrStates.map(run.state(), run.stateAsString(), run.stateDetails()))
                .orElseGet(() -> new JobState("FAILED", "EMR Serverless application " + settings.applicationId()
                        + " has no job run " + runId));
    }

    @Override
    public Optional<String> jobIdOf(String runId) {
        return jobRun(runId).map(run -> run.tags() == null ? null : run.tags().get(JOB_ID_TAG));
    }

    /** GetJobRun (throttling retried with backoff); empty when the application has no such run. */
    private Optional<JobRun> jobRun(String runId) {
        GetJobRunRequest request = GetJobRunRequest.builder().applicationId(settings.applicationId())
                .jobRunId(runId).build();
        try {
            return Optional.of(backoff.call("GetJobRun", () -> emr.getJobRun(request)).jobRun());
        } catch (ResourceNotFoundException e) {
            return Optional.empty();
        }
    }

    StartJobRunRequest request(BatchJob job) {
        StartJobRunRequest.Builder b = StartJobRunRequest.builder()
                .applicationId(settings.applicationId())
                .executionRoleArn(settings.executionRoleArn())
                .name(name(job))
                .clientToken(clientToken(job.clientToken() == null ? job.jobId() : job.clientToken()))
                .executionTimeoutMinutes((long) settings.timeoutMinutes())
                .tags(tags(job))
                .jobDriver(d -> d.sparkSubmit(s -> s
                        .entryPoint(settings.jobJarUri())
                        .entryPointArguments(arguments(job))
                        .sparkSubmitParameters(sparkSubmitParameters())));
        if (settings.logUri() != null && !settings.logUri().isBlank()) {
            b.configurationOverrides(ConfigurationOverrides.builder()
                    .monitoringConfiguration(m -> m.s3MonitoringConfiguration(s -> s.logUri(settings.logUri())))
                    .build());
        }
        return b.build();
    }

    /**
     * {@code --bundle B --input I --format F --output <run folder> --job-id J [--input-etag E]
     * [--input-version-id V] [--source S] [--route-reason R]}: the job writes into its own run folder
     * ({@link BatchJob#runUri()}); its end commits the result.
     */
    public static List<String> arguments(BatchJob job) {
        List<String> args = new ArrayList<>(List.of(BUNDLE, job.bundleUri(), INPUT, job.inputUri(), FORMAT,
                job.format(), OUTPUT, job.runUri(), JOB_ID, job.jobId()));
        if (job.inputEtag() != null && !job.inputEtag().isBlank()) {
            args.addAll(List.of(INPUT_ETAG, job.inputEtag()));
        }
        if (job.inputVersionId() != null && !job.inputVersionId().isBlank()) {
            args.addAll(List.of(INPUT_VERSION_ID, job.inputVersionId()));
        }
        if (job.sourceUri() != null && !job.sourceUri().isBlank()) {
            args.addAll(List.of(SOURCE, job.sourceUri()));
        }
        if (job.routeReason() != null && !job.routeReason().isBlank()) {
            args.addAll(List.of(ROUTE_REASON, job.routeReason()));
        }
        return args;
    }

    String sparkSubmitParameters() {
        return "--class " + JOB_CLASS
                + " --conf spark.executor.cores=" + settings.executorCores()
                + " --conf spark.executor.memory=" + settings.executorMemory();
    }

    private static String name(BatchJob job) {
        String model = job.tags().getOrDefault("model", "job");
        String name = "mlserve-" + model + "-" + job.jobId();
        return name.length() <= 256 ? name : name.substring(0, 256);
    }

    /** EMR takes [A-Za-z0-9._-]{1,64}; other tokens are hashed into that (deterministically). */
    static String clientToken(String token) {
        if (CLIENT_TOKEN.matcher(token).matches()) {
            return token;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The job's tags plus our job id, made to fit EMR's tag syntax (other characters become '_'). */
    static Map<String, String> tags(BatchJob job) {
        Map<String, String> tags = new LinkedHashMap<>();
        job.tags().forEach((k, v) -> tags.put(tagText(k, 128), tagText(v == null ? "" : v, 256)));
        tags.put(JOB_ID_TAG, tagText(job.jobId(), 256));
        return tags;
    }

    private static String tagText(String s, int max) {
        String clean = TAG_TEXT_BAD.matcher(s).replaceAll("_");
        return clean.length() <= max ? clean : clean.substring(0, max);
    }
}
