package dev.mlserve.functions.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionConfigPreloadTest {

    @Test
    void preloadModels_whenUnset_isEmpty() {
        assertThat(FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, "local")).preloadModels()).isEmpty();
    }

    @Test
    void preloadModels_commaSeparated_areTrimmedAndDeduplicatedInOrder() {
        FunctionConfig config = FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, "local",
                FunctionConfig.PRELOAD_MODELS, " churn, fraud-v2 ,,churn"));

        assertThat(config.preloadModels()).containsExactly("churn", "fraud-v2");
    }

    @Test
    void preloadModels_withAPathLikeName_failsNamingTheVariable() {
        assertThatThrownBy(() -> FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, "local",
                FunctionConfig.PRELOAD_MODELS, "churn,../etc")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(FunctionConfig.PRELOAD_MODELS)
                .hasMessageContaining("../etc");
    }
}
