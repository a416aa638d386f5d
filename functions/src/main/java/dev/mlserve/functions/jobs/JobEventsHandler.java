package dev.mlserve.functions.jobs;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.ports.BatchLauncher;
import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.Jobs.JobStatus;
import dev.mlserve.functions.wiring.Adapters;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EventBridge's "EMR Serverless Job Run State Change" (source {@code aws.emr-serverless}): when a
 * run of ours on this function's application ends (SUCCESS, FAILED or CANCELLED), its job's
 * {@link Jobs#runEnded} commits the result, starts the next attempt, or writes the FAILED manifest.
 * Without this nothing commits a batch run until someone reads its status.
 *
 * <p>Any other event (another source or detail-type, another application, a state that is not
 * terminal, a run without our job-id tag) is answered "ignored" with the reason and logged: the
 * rule's pattern already keeps most of them away, and an ignored event must not be retried. Real
 * faults (S3, EMR) propagate, so Lambda retries the asynchronous invocation and, after its
 * retries, hands the event to the failure destination. Delivery is best effort; runEnded is safe
 * to repeat, so a redelivered event changes nothing.
 *
 * <p>Built once per container from the environment, without Spark: nothing here scores.
 */
public final class JobEventsHandler implements RequestHandler<ScheduledEvent, String> {
    private static final Logger LOG = LoggerFactory.getLogger(JobEventsHandler.class);
    static final String SOURCE = "aws.emr-serverless";
    static final String DETAIL_TYPE = "EMR Serverless Job Run State Change";
    private static final Set<String> TERMINAL = Set.of("SUCCESS", "FAILED", "CANCELLED");

    private final Jobs jobs;
    private final BatchLauncher launcher;
    private final String applicationId;

    /**
     * What Lambda calls: S3 and EMR Serverless adapters wired from the environment
     * ({@link FunctionConfig}). Refuses the local backend, whose in-process launcher commits each
     * run itself when it ends.
     */
    public JobEventsHandler() {
        this(FunctionConfig.fromEnv());
    }

    private JobEventsHandler(FunctionConfig config) {
        this(awsAdapters(config), config.emrApplicationId());
    }

    private JobEventsHandler(Adapters adapters, String applicationId) {
        this(adapters.jobs(), adapters.launcher(), applicationId);
    }

    /**
     * @param applicationId the EMR Serverless application whose runs this handler commits; events
     *     of any other application are ignored
     */
    JobEventsHandler(Jobs jobs, BatchLauncher launcher, String applicationId) {
        this.jobs = Objects.requireNonNull(jobs, "jobs");
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.applicationId = Objects.requireNonNull(applicationId, "applicationId");
    }

    /**
     * A handler over adapters the caller wired, for tests that replay event files over the local
     * backend (whose runs are never EMR runs, so such events end as "not our run"). Lambda uses the
     * no-arg constructor.
     */
    public static JobEventsHandler withAdapters(Adapters adapters, String applicationId) {
        Objects.requireNonNull(adapters, "adapters");
        return new JobEventsHandler(adapters, applicationId);
    }

    static Adapters awsAdapters(FunctionConfig config) {
        if (!config.isAws()) {
            throw new IllegalStateException("JobEventsHandler commits EMR Serverless runs and needs "
                    + FunctionConfig.BACKEND + "=" + FunctionConfig.AWS + " (got '" + config.backend()
                    + "'): on the local backend the in-process launcher commits each run itself when it ends");
        }
        return Adapters.aws(config);
    }

    @Override
    public String handleRequest(ScheduledEvent event, Context context) {
        if (!SOURCE.equals(event.getSource()) || !DETAIL_TYPE.equals(event.getDetailType())) {
            return ignored("not an EMR Serverless job run state change (source '" + event.getSource()
                    + "', detail-type '" + event.getDetailType() + "')", null);
        }
        Map<String, Object> detail = event.getDetail() == null ? Map.of() : event.getDetail();
        String runId = text(detail, "jobRunId");
        String application = text(detail, "applicationId");
        String state = text(detail, "state");
        if (runId == null) {
            return ignored("the event names no jobRunId", null);
        }
        if (!applicationId.equals(application)) {
            return ignored("run of application '" + application + "', not of this function's '" + applicationId
                    + "'", runId);
        }
        if (state == null || !TERMINAL.contains(state)) {
            return ignored("state " + state + " is not terminal", runId);
        }
        Optional<String> jobId = launcher.jobIdOf(runId);
        if (jobId.isEmpty()) {
            return ignored("the run has no job-id tag of ours", runId);
        }
        Optional<JobStatus> status = jobs.runEnded(jobId.get());
        if (status.isEmpty()) {
            LOG.warn("run ended but its job has no record: runId={} jobId={} state={}", runId, jobId.get(), state);
            return answer(Map.of("ignored", "job " + jobId.get() + " has no record", "runId", runId));
        }
        LOG.info("run ended: runId={} jobId={} runState={} jobState={}", runId, jobId.get(), state,
                status.get().state());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("jobId", jobId.get());
        answer.put("runId", runId);
        answer.put("runState", state);
        answer.put("state", status.get().state());
        return answer(answer);
    }

    private static String ignored(String reason, String runId) {
        LOG.info("event ignored: {} runId={}", reason, runId);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ignored", reason);
        if (runId != null) {
            answer.put("runId", runId);
        }
        return answer(answer);
    }

    private static String text(Map<String, Object> detail, String field) {
        Object value = detail.get(field);
        return value == null ? null : value.toString();
    }

    private static String answer(Map<String, Object> fields) {
        try {
            return Json.MAPPER.writeValueAsString(fields);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
