package dev.mlserve.functions.emr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.functions.ports.BatchLauncher.BatchJob;
import dev.mlserve.scoring.testing.MotoServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.emrserverless.EmrServerlessClient;
import software.amazon.awssdk.services.emrserverless.model.JobRun;
import software.amazon.awssdk.services.emrserverless.model.JobRunSummary;
import software.amazon.awssdk.services.emrserverless.model.StartJobRunRequest;

/**
 * EmrServerlessLauncher against moto_server's EMR Serverless with the real SDK v2 client. moto
 * keeps every StartJobRun field but answers GetJobRun without the role or the clientToken (the
 * service's GetJobRun has no clientToken either): those two are checked on the wire.
 */
@ExtendWith(MotoServer.Extension.class)
class EmrServerlessLauncherIT {
    private static final String ROLE = "arn:aws:iam::123456789012:role/mlserve-job";
    private static final List<StartJobRunRequest> SENT = new CopyOnWriteArrayList<>();
    private static EmrServerlessClient emr;
    private static MotoServer moto;
    private String applicationId;

    @BeforeAll
    static void client(MotoServer server) {
        moto = server;
        emr = EmrClients.builder(MotoServer.REGION, server.endpoint())
                .credentialsProvider(server.credentials())
                .overrideConfiguration(c -> c.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                        if (context.request() instanceof StartJobRunRequest r) {
                            SENT.add(r);
                        }
                    }
                }))
                .build();
    }

    @AfterAll
    static void close() {
        emr.close();
    }

    @BeforeEach
    void application() {
        applicationId = emr.createApplication(b -> b.name("mlserve-it").releaseLabel("emr-7.11.0").type("SPARK"))
                .applicationId();
        SENT.clear();
    }

    private EmrServerlessLauncher launcher(String logUri) {
        return new EmrServerlessLauncher(emr, new EmrServerlessLauncher.Settings(applicationId, ROLE,
                "s3://mlserve-bucket/jars/emr-jobs.jar", logUri, 60, 4, "14g"));
    }

    @Test
    void start_createsAJobRunInTheEmulatorWithTheExactFields() {
        BatchJob job = new BatchJob("job-it-1", "s3://mlserve-bucket/models/churn/1",
                "s3://mlserve-bucket/incoming/churn/big.csv", "csv", "s3://mlserve-bucket/scored/churn/big.csv",
                "0123abcd", "a".repeat(64), Map.of("model", "churn", "version", "1", "route", "batch"),
                "object of 9000000 bytes > upload inline limit of 5242880 bytes");

        String runId = launcher("s3://mlserve-bucket/logs/").start(job);

        JobRun run = emr.getJobRun(b -> b.applicationId(applicationId).jobRunId(runId)).jobRun();
        assertThat(run.applicationId()).isEqualTo(applicationId);
        assertThat(run.jobRunId()).isEqualTo(runId);
        assertThat(run.name()).isEqualTo("mlserve-churn-job-it-1");
        assertThat(run.releaseLabel()).isEqualTo("emr-7.11.0");
        assertThat(run.executionTimeoutMinutes()).isEqualTo(60L);
        assertThat(run.tags()).containsExactlyInAnyOrderEntriesOf(Map.of("model", "churn", "version", "1",
                "route", "batch", "mlserve:job-id", "job-it-1"));
        assertThat(run.jobDriver().sparkSubmit().entryPoint()).isEqualTo("s3://mlserve-bucket/jars/emr-jobs.jar");
        assertThat(run.jobDriver().sparkSubmit().entryPointArguments()).containsExactly(
                "--bundle", "s3://mlserve-bucket/models/churn/1",
                "--input", "s3://mlserve-bucket/incoming/churn/big.csv",
                "--format", "csv",
                "--output", "s3://mlserve-bucket/scored/churn/big.csv/runs/job-it-1/",
                "--job-id", "job-it-1",
                "--input-etag", "0123abcd",
                "--route-reason", "object of 9000000 bytes > upload inline limit of 5242880 bytes");
        assertThat(run.jobDriver().sparkSubmit().sparkSubmitParameters())
                .isEqualTo("--class dev.mlserve.jobs.score.BatchScoreJob --conf spark.executor.cores=4"
                        + " --conf spark.executor.memory=14g");
        assertThat(run.configurationOverrides().monitoringConfiguration().s3MonitoringConfiguration().logUri())
                .isEqualTo("s3://mlserve-bucket/logs/");
        List<JobRunSummary> listed = emr.listJobRuns(b -> b.applicationId(applicationId)).jobRuns();
        assertThat(listed).singleElement().satisfies(s -> {
            assertThat(s.id()).isEqualTo(runId);
            assertThat(s.executionRole()).isEqualTo(ROLE);
        });
        assertThat(SENT).singleElement().satisfies(r -> {
            assertThat(r.clientToken()).isEqualTo("a".repeat(64));
            assertThat(r.executionRoleArn()).isEqualTo(ROLE);
        });
    }

    @Test
    void state_ofARunTheEmulatorFinished_answersSuccess() {
        String runId = launcher(null).start(new BatchJob("job-it-2", "s3://b/models/m/1", "s3://b/in.csv", "csv",
                "s3://b/out", null, "token-2", Map.of()));

        assertThat(launcher(null).state(runId).state()).isEqualTo("SUCCESS");
        assertThat(launcher(null).state("no-such-run").state()).isEqualTo("FAILED");
    }

    @Test
    void client_withoutExplicitEndpoint_followsTheSdksEmrServerlessEndpointSetting() {
        String property = "aws.endpointUrlEmrServerless";
        System.setProperty(property, moto.endpoint().toString());
        try (EmrServerlessClient fromSetting = EmrClients.builder(MotoServer.REGION, null)
                .credentialsProvider(moto.credentials()).build()) {
            assertThat(fromSetting.listApplications(b -> { }).applications())
                    .anySatisfy(a -> assertThat(a.id()).isEqualTo(applicationId));
        } finally {
            System.clearProperty(property);
        }
    }
}
