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

    @Test
    void uploadInlineMaxBytes_overWhatTmpHolds_failsNamingTheVariableAndTheLimit() {
        assertThatThrownBy(() -> FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, "local",
                FunctionConfig.UPLOAD_INLINE_MAX_BYTES, Long.toString(10L << 30))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(FunctionConfig.UPLOAD_INLINE_MAX_BYTES)
                .hasMessageContaining(Long.toString(FunctionConfig.MAX_UPLOAD_INLINE_BYTES));
        assertThat(FunctionConfig.fromEnv(Map.of(FunctionConfig.BACKEND, "local",
                FunctionConfig.UPLOAD_INLINE_MAX_BYTES, Long.toString(64L << 20))).uploadInlineMaxBytes())
                .isEqualTo(64L << 20);
    }
}
