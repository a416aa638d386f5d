package dev.mlserve.local.sam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionEnvironmentTest {
    private final SamFunction function = new SamFunction("PredictFunction", "a.B::handleRequest",
            Map.of("MLSERVE_BACKEND", "aws", "MLSERVE_INLINE_MAX_RECORDS", "5000", "KEEP", "template"),
            List.of("MLSERVE_EMR_APPLICATION_ID"), 120, 2048, List.of(), List.of());

    @Test
    void of_withoutEnvVarsFile_usesTheTemplate_butTheLocalBackend() {
        FunctionEnvironment.Resolved env = FunctionEnvironment.of(function, EnvVarsFile.empty(), null, null);

        assertThat(env.variables())
                .containsEntry("MLSERVE_BACKEND", "local")
                .containsEntry("MLSERVE_INLINE_MAX_RECORDS", "5000")
                .containsEntry("AWS_LAMBDA_FUNCTION_NAME", "PredictFunction")
                .containsEntry("AWS_LAMBDA_FUNCTION_TIMEOUT", "120")
                .containsEntry("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
                .containsEntry("AWS_REGION", "us-east-1")
                .containsEntry("AWS_SAM_LOCAL", "true")
                .doesNotContainKey("MLSERVE_LOCAL_STORE");
        assertThat(env.undeclared()).isEmpty();
    }

    @Test
    void of_functionEntryWinsOverParameters_andBothWinOverTheTemplate() throws Exception {
        EnvVarsFile file = EnvVarsFile.parse("""
                {"Parameters": {"MLSERVE_INLINE_MAX_RECORDS": "7", "KEEP": "parameters"},
                 "PredictFunction": {"MLSERVE_INLINE_MAX_RECORDS": 10},
                 "OtherFunction": {"KEEP": "other"}}""");

        FunctionEnvironment.Resolved env = FunctionEnvironment.of(function, file, null, null);

        assertThat(env.variables()).containsEntry("MLSERVE_INLINE_MAX_RECORDS", "10").containsEntry("KEEP",
                "parameters");
    }

    @Test
    void of_whenTheFileNamesTheBackend_keepsIt() throws Exception {
        EnvVarsFile file = EnvVarsFile.parse("{\"PredictFunction\": {\"MLSERVE_BACKEND\": \"aws\"}}");

        assertThat(FunctionEnvironment.of(function, file, null, null).variables()).containsEntry("MLSERVE_BACKEND",
                "aws");
    }

    @Test
    void of_listsVariablesTheTemplateDoesNotDeclare_butPassesThem() throws Exception {
        EnvVarsFile file = EnvVarsFile.parse("""
                {"Parameters": {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "MLSERVE_EMR_APPLICATION_ID": "app"}}""");

        FunctionEnvironment.Resolved env = FunctionEnvironment.of(function, file, null, null);

        assertThat(env.undeclared()).containsExactly("AWS_ENDPOINT_URL");
        assertThat(env.variables()).containsEntry("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
                .containsEntry("MLSERVE_EMR_APPLICATION_ID", "app");
    }

    @Test
    void of_withAStore_setsTheLocalStoreToItsAbsolutePath_andUsesTheHostRegion() {
        FunctionEnvironment.Resolved env = FunctionEnvironment.of(function, EnvVarsFile.empty(), Path.of("my-store"),
                "eu-west-1");

        assertThat(env.variables()).containsEntry("MLSERVE_LOCAL_STORE", Path.of("my-store").toAbsolutePath()
                .toString()).containsEntry("AWS_REGION", "eu-west-1");
    }
}
