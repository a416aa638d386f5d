package dev.mlserve.local.sam;

import dev.mlserve.functions.config.FunctionConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment a function sees under the local emulator, built the way SAM CLI builds it:
 * the runtime's own variables (function name, memory, timeout, handler, region,
 * {@code AWS_SAM_LOCAL}), then the template's variables, then the env-vars file. Two differences,
 * both for a laptop: {@code MLSERVE_BACKEND} is "local" unless the env-vars file names one, and a
 * variable the template does not declare is passed too (SAM CLI drops it silently; here it is
 * passed and listed in {@link Resolved#undeclared()} so the caller can warn).
 */
public final class FunctionEnvironment {
    private FunctionEnvironment() {
    }

    /** @param undeclared names set by the env-vars file that the template does not declare */
    public record Resolved(Map<String, String> variables, List<String> undeclared) {
    }

    /**
     * @param store the local store folder ({@code MLSERVE_LOCAL_STORE}), or null to leave it as is
     * @param hostRegion the caller's AWS_REGION, or null for us-east-1
     */
    public static Resolved of(SamFunction function, EnvVarsFile file, Path store, String hostRegion) {
        Map<String, String> env = new LinkedHashMap<>();
        String region = hostRegion == null || hostRegion.isBlank() ? "us-east-1" : hostRegion;
        env.put("AWS_SAM_LOCAL", "true");
        env.put("AWS_REGION", region);
        env.put("AWS_DEFAULT_REGION", region);
        env.put("AWS_LAMBDA_FUNCTION_NAME", function.logicalId());
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_LAMBDA_FUNCTION_HANDLER", function.handler());
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.memoryMb()));
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Integer.toString(function.timeoutSeconds()));
        env.putAll(function.environment());

        Map<String, String> overrides = file.overridesFor(function.logicalId());
        List<String> undeclared = new ArrayList<>();
        overrides.forEach((name, value) -> {
            if (!function.environment().containsKey(name) && !function.unresolved().contains(name)) {
                undeclared.add(name);
            }
            env.put(name, value);
        });
        if (!overrides.containsKey(FunctionConfig.BACKEND)) {
            env.put(FunctionConfig.BACKEND, FunctionConfig.LOCAL);
        }
        if (store != null) {
            env.put(FunctionConfig.LOCAL_STORE, store.toAbsolutePath().normalize().toString());
        }
        return new Resolved(env, undeclared);
    }
}
