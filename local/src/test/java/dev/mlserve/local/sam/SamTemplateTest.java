package dev.mlserve.local.sam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SamTemplateTest {
    /** The project's own template (tests run in local/). */
    private static final Path PROJECT_TEMPLATE = Path.of("../template.yaml");

    private static final String TEMPLATE = """
            AWSTemplateFormatVersion: '2010-09-09'
            Transform: AWS::Serverless-2016-10-31
            Parameters:
              Limit:
                Type: Number
                Default: 25
              Prefix:
                Type: String
                Default: models/
            Globals:
              Function:
                Handler: com.example.Default::handle
                Timeout: 60
                MemorySize: 1024
                Environment:
                  Variables:
                    SHARED: from-globals
                    OVERRIDDEN: from-globals
            Resources:
              Api:
                Type: AWS::Serverless::Api
                Properties:
                  StageName: v9
              Role:
                Type: AWS::IAM::Role
              One:
                Type: AWS::Serverless::Function
                Properties:
                  Timeout: 5
                  Environment:
                    Variables:
                      OVERRIDDEN: from-function
                      LIMIT: !Ref Limit
                      BUCKET: !Sub '${AWS::StackName}-${AWS::Region}-data'
                      URI: !Sub ['s3://${B}/${Prefix}', {B: !Ref AWS::AccountId}]
                      JOINED: !Join [',', [a, !Ref Prefix]]
                      ESCAPED: !Sub 'literal ${!NotAVariable}'
                      ROLE: !GetAtt Role.Arn
                      ROLE_LONG: {'Fn::GetAtt': [Role, Arn]}
                      RESOURCE: !Ref Api
                      CHOSEN: !If [IsProd, a, b]
                      PLAIN_NUMBER: 42
                  Events:
                    Get:
                      Type: Api
                      Properties:
                        Path: /things/{id}
                        Method: get
                    Any:
                      Type: Api
                      Properties:
                        Path: /{proxy+}
                        Method: any
              Two:
                Type: AWS::Serverless::Function
                Properties:
                  Handler: com.example.Two::run
                  Events:
                    Csv:
                      Type: S3
                      Properties:
                        Bucket: !Ref Bucket
                        Events: s3:ObjectCreated:*
                        Filter:
                          S3Key:
                            Rules:
                              - Name: prefix
                                Value: incoming/
                              - Name: suffix
                                Value: .csv
            """;

    @Test
    void function_resolvesRefSubAndJoinAgainstParameterDefaultsAndPseudoParameters() {
        SamFunction one = SamTemplate.parse(TEMPLATE).function("One");

        assertThat(one.environment())
                .containsEntry("LIMIT", "25")
                .containsEntry("BUCKET", "local-us-east-1-data")
                .containsEntry("URI", "s3://123456789012/models/")
                .containsEntry("JOINED", "a,models/")
                .containsEntry("ESCAPED", "literal ${NotAVariable}")
                .containsEntry("PLAIN_NUMBER", "42");
    }

    @Test
    void function_dropsValuesThatNeedADeployedStack_andNamesThem() {
        SamFunction one = SamTemplate.parse(TEMPLATE).function("One");

        assertThat(one.environment()).doesNotContainKeys("ROLE", "ROLE_LONG", "RESOURCE", "CHOSEN");
        assertThat(one.unresolved()).containsExactlyInAnyOrder("ROLE", "ROLE_LONG", "RESOURCE", "CHOSEN");
    }

    @Test
    void function_mergesGlobals_functionValuesWin() {
        SamTemplate template = SamTemplate.parse(TEMPLATE);
        SamFunction one = template.function("One");
        SamFunction two = template.function("Two");

        assertThat(one.environment()).containsEntry("SHARED", "from-globals").containsEntry("OVERRIDDEN",
                "from-function");
        assertThat(one.handler()).isEqualTo("com.example.Default::handle");
        assertThat(one.timeoutSeconds()).isEqualTo(5);
        assertThat(one.memoryMb()).isEqualTo(1024);
        assertThat(two.handlerClass()).isEqualTo("com.example.Two");
        assertThat(two.handlerMethod()).isEqualTo("run");
        assertThat(two.timeoutSeconds()).isEqualTo(60);
        assertThat(template.stageName()).isEqualTo("v9");
    }

    @Test
    void function_readsApiRoutesWithUpperCaseMethods_andS3KeyFilters() {
        SamTemplate template = SamTemplate.parse(TEMPLATE);

        assertThat(template.function("One").apiRoutes()).containsExactly(
                new SamFunction.ApiRoute("Get", "GET", "/things/{id}"),
                new SamFunction.ApiRoute("Any", "ANY", "/{proxy+}"));
        SamFunction.S3Trigger csv = template.function("Two").s3Triggers().get(0);
        assertThat(csv).isEqualTo(new SamFunction.S3Trigger("Csv", "incoming/", ".csv"));
        assertThat(csv.matches("incoming/churn/a.csv")).isTrue();
        assertThat(csv.matches("scored/churn/a.csv")).isFalse();
        assertThat(csv.matches("incoming/churn/a.jsonl")).isFalse();
    }

    @Test
    void function_whenTheIdIsUnknown_namesTheFunctionsThereAre() {
        assertThatThrownBy(() -> SamTemplate.parse(TEMPLATE).function("Three"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("One, Two");
    }

    @Test
    void load_whenTheFileIsMissing_saysWhereItLooked() {
        assertThatThrownBy(() -> SamTemplate.load(Path.of("no-such-template.yaml")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-such-template.yaml").hasMessageContaining("--template");
    }

    @Test
    void projectTemplate_predictFunction_hasItsHandlerRoutesAndResolvableEnvironment() throws Exception {
        SamFunction predict = SamTemplate.load(PROJECT_TEMPLATE).function("PredictFunction");

        assertThat(predict.handler()).isEqualTo("dev.mlserve.functions.api.PredictHandler::handleRequest");
        assertThat(predict.apiRoutes()).extracting(r -> r.method() + " " + r.path()).containsExactlyInAnyOrder(
                "POST /models/{model}/predict", "GET /models/{model}", "GET /jobs/{jobId}");
        assertThat(predict.environment()).containsEntry("MLSERVE_BACKEND", "aws")
                .containsEntry("MLSERVE_MODEL_PREFIX", "models/")
                .containsKey("JAVA_TOOL_OPTIONS")
                .containsKey("MLSERVE_INLINE_MAX_RECORDS");
        assertThat(predict.unresolved()).contains("MLSERVE_EMR_APPLICATION_ID", "MLSERVE_EMR_JOB_ROLE_ARN");
        assertThat(predict.timeoutSeconds()).isGreaterThan(3);
        // declared, so an env-vars file can point the function at an emulator (as under SAM CLI)
        assertThat(predict.environment()).containsEntry("S3_FORCE_PATH_STYLE", "false");
        assertThat(predict.unresolved()).contains("AWS_ENDPOINT_URL");
    }

    @Test
    void projectTemplate_uploadFunction_listensToIncomingObjects() throws Exception {
        SamFunction upload = SamTemplate.load(PROJECT_TEMPLATE).function("UploadFunction");

        assertThat(upload.handlerClass()).isEqualTo("dev.mlserve.functions.upload.UploadHandler");
        assertThat(upload.s3Triggers()).isNotEmpty().allSatisfy(t -> assertThat(t.prefix()).isEqualTo("incoming/"));
        assertThat(upload.s3Triggers().stream().anyMatch(t -> t.matches("incoming/churn/a.csv"))).isTrue();
    }

    @Test
    void projectTemplate_jobEventsFunction_isReadWithItsOwnSizes_itsEventBridgeRuleNeitherARouteNorAnS3Trigger()
            throws Exception {
        SamFunction jobEvents = SamTemplate.load(PROJECT_TEMPLATE).function("JobEventsFunction");

        assertThat(jobEvents.handlerClass()).isEqualTo("dev.mlserve.functions.jobs.JobEventsHandler");
        assertThat(jobEvents.memoryMb()).isEqualTo(512);
        assertThat(jobEvents.timeoutSeconds()).isEqualTo(120);
        assertThat(jobEvents.apiRoutes()).isEmpty();
        assertThat(jobEvents.s3Triggers()).isEmpty();
        assertThat(jobEvents.environment()).containsEntry("MLSERVE_BACKEND", "aws");
    }
}
