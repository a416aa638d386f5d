package dev.mlserve.functions.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every setting of the functions, read once from environment variables and validated at start:
 * a bad or missing value fails construction with a message naming each variable, so Lambda's
 * init fails loudly instead of a request failing later.
 *
 * @param backend "aws" (S3 + EMR Serverless) or "local" (a directory + in-process Spark)
 * @param inlineMaxRecords requests with more records go to the batch route
 * @param inlineMaxBytes request bodies larger than this go to the batch route
 * @param maxRequestBytes hard cap: larger bodies are answered 413
 * @param maxRecords hard cap on records per request: more are answered 413
 * @param uploadInlineMaxBytes uploaded objects up to this size are scored inside the Lambda
 * @param latestCheckSeconds how often a warm container looks for a new LATEST version
 * @param preloadModels models whose current version the API function loads during init (and primes
 *     before a SnapStart snapshot), from {@code MLSERVE_PRELOAD_MODELS} (comma-separated names;
 *     empty: models load on first request)
 */
public record FunctionConfig(String backend, String bucket, String modelPrefix, Path localStore, Path cacheDir,
                             int inlineMaxRecords, long inlineMaxBytes, long maxRequestBytes, int maxRecords,
                             long uploadInlineMaxBytes, int latestCheckSeconds, String emrApplicationId,
                             String emrJobRoleArn, String emrJobJarUri, String emrLogUri, int emrJobTimeoutMinutes,
                             String publicBaseUrl, List<String> preloadModels) {

    public static final String BACKEND = "MLSERVE_BACKEND";
    public static final String BUCKET = "MLSERVE_BUCKET";
    public static final String MODEL_PREFIX = "MLSERVE_MODEL_PREFIX";
    public static final String LOCAL_STORE = "MLSERVE_LOCAL_STORE";
    public static final String CACHE_DIR = "MLSERVE_CACHE_DIR";
    public static final String INLINE_MAX_RECORDS = "MLSERVE_INLINE_MAX_RECORDS";
    public static final String INLINE_MAX_BYTES = "MLSERVE_INLINE_MAX_BYTES";
    public static final String MAX_REQUEST_BYTES = "MLSERVE_MAX_REQUEST_BYTES";
    public static final String MAX_RECORDS = "MLSERVE_MAX_RECORDS";
    public static final String UPLOAD_INLINE_MAX_BYTES = "MLSERVE_UPLOAD_INLINE_MAX_BYTES";
    /**
     * The largest inline upload limit: the input, its scored copy, the bundle cache and Spark's
     * scratch files share the function's 512 MB /tmp (the template's MaxValue says the same).
     */
    public static final long MAX_UPLOAD_INLINE_BYTES = 64L << 20;
    public static final String LATEST_CHECK_SECONDS = "MLSERVE_LATEST_CHECK_SECONDS";
    public static final String EMR_APPLICATION_ID = "MLSERVE_EMR_APPLICATION_ID";
    public static final String EMR_JOB_ROLE_ARN = "MLSERVE_EMR_JOB_ROLE_ARN";
    public static final String EMR_JOB_JAR_URI = "MLSERVE_EMR_JOB_JAR_URI";
    public static final String EMR_LOG_URI = "MLSERVE_EMR_LOG_URI";
    public static final String EMR_JOB_TIMEOUT_MINUTES = "MLSERVE_EMR_JOB_TIMEOUT_MINUTES";
    public static final String PUBLIC_BASE_URL = "MLSERVE_PUBLIC_BASE_URL";
    public static final String PRELOAD_MODELS = "MLSERVE_PRELOAD_MODELS";

    public static final String AWS = "aws";
    public static final String LOCAL = "local";

    public static FunctionConfig fromEnv() {
        return fromEnv(System.getenv());
    }

    public static FunctionConfig fromEnv(Map<String, String> env) {
        Reader r = new Reader(env);
        String backend = r.choice(BACKEND, env.containsKey("AWS_LAMBDA_FUNCTION_NAME") ? AWS : LOCAL, Set.of(AWS, LOCAL));
        boolean aws = AWS.equals(backend);
        FunctionConfig config = new FunctionConfig(
                backend,
                aws ? r.required(BUCKET) : env.getOrDefault(BUCKET, "local"),
                r.prefix(MODEL_PREFIX, "models/"),
                Path.of(env.getOrDefault(LOCAL_STORE, "local-store")).toAbsolutePath(),
                Path.of(env.getOrDefault(CACHE_DIR, Path.of(System.getProperty("java.io.tmpdir"), "mlserve-cache")
                        .toString())),
                (int) r.number(INLINE_MAX_RECORDS, 5_000, 1, Integer.MAX_VALUE), // docs/routing.md
                r.number(INLINE_MAX_BYTES, 1L << 20, 1, Long.MAX_VALUE),
                r.number(MAX_REQUEST_BYTES, 6L * 1024 * 1024, 1, Long.MAX_VALUE),
                (int) r.number(MAX_RECORDS, 1_000_000, 1, Integer.MAX_VALUE),
                r.number(UPLOAD_INLINE_MAX_BYTES, 5L << 20, 0, MAX_UPLOAD_INLINE_BYTES),
                (int) r.number(LATEST_CHECK_SECONDS, 60, 0, 86_400),
                aws ? r.required(EMR_APPLICATION_ID) : env.get(EMR_APPLICATION_ID),
                aws ? r.required(EMR_JOB_ROLE_ARN) : env.get(EMR_JOB_ROLE_ARN),
                aws ? r.required(EMR_JOB_JAR_URI) : env.get(EMR_JOB_JAR_URI),
                env.get(EMR_LOG_URI),
                (int) r.number(EMR_JOB_TIMEOUT_MINUTES, 120, 1, 10_080),
                env.get(PUBLIC_BASE_URL),
                r.names(PRELOAD_MODELS));
        r.check();
        return config;
    }

    public boolean isAws() {
        return AWS.equals(backend);
    }

    /** Collects every problem before failing, so one deploy shows all of them. */
    private static final class Reader {
        private static final Pattern MODEL_NAME = dev.mlserve.scoring.bundle.BundleMetadata.NAME_PATTERN;
        private final Map<String, String> env;
        private final List<String> problems = new ArrayList<>();

        Reader(Map<String, String> env) {
            this.env = env;
        }

        String required(String name) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                problems.add(name + " is required");
                return null;
            }
            return v.trim();
        }

        String choice(String name, String fallback, Set<String> allowed) {
            String v = env.getOrDefault(name, fallback).trim();
            if (!allowed.contains(v)) {
                problems.add(name + " must be one of " + allowed + ", got '" + v + "'");
            }
            return v;
        }

        String prefix(String name, String fallback) {
            String v = env.getOrDefault(name, fallback).trim();
            if (v.startsWith("/") || v.contains("..")) {
                problems.add(name + " must be a relative key prefix without '..', got '" + v + "'");
            }
            return v.isEmpty() || v.endsWith("/") ? v : v + "/";
        }

        /** A comma-separated list of model names (bundle folder names), blanks ignored. */
        List<String> names(String name) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                return List.of();
            }
            List<String> names = new ArrayList<>();
            for (String part : v.split(",")) {
                String n = part.strip();
                if (n.isEmpty() || names.contains(n)) {
                    continue;
                }
                if (!MODEL_NAME.matcher(n).matches() || n.contains("..")) {
                    problems.add(name + " must list model names separated by commas, got '" + n + "'");
                } else {
                    names.add(n);
                }
            }
            return List.copyOf(names);
        }

        long number(String name, long fallback, long min, long max) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                return fallback;
            }
            try {
                long n = Long.parseLong(v.trim());
                if (n < min || n > max) {
                    problems.add(name + " must be between " + min + " and " + max + ", got " + v);
                    return fallback;
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add(name + " must be a whole number, got '" + v + "'");
                return fallback;
            }
        }

        void check() {
            if (!problems.isEmpty()) {
                throw new IllegalStateException("invalid configuration: " + String.join("; ", problems));
            }
        }
    }
}
