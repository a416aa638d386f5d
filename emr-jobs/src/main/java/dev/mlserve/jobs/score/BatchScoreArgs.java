package dev.mlserve.jobs.score;

import dev.mlserve.jobs.args.Flags;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.io.FileFormat;
import java.util.List;
import java.util.Set;

/**
 * Arguments of the batch scoring job. The bundle is one version folder ({@code --bundle}), or is
 * resolved under {@code --model-root} from {@code --model} and {@code --version} (default: LATEST,
 * else the highest version).
 *
 * @param bundle a bundle version folder (s3://bucket/models/churn/3, file:/..., a plain path), or null
 * @param model the model name when resolving under {@code modelRoot}, or null
 * @param version the version to resolve, or null for the current one
 * @param input a file, or a folder/prefix of part files
 * @param format given by {@code --format}, else inferred from the input's extension
 * @param jobId the id recorded in the manifest, or null (the job then uses Spark's application id)
 * @param inputEtag the S3 ETag of the input, recorded in the manifest, or null
 * @param inputVersionId the S3 versionId of the input, recorded in the manifest, or null
 * @param source the input as the manifest names it when {@code input} is a copy of it (an upload
 *     pinned at its version in a staging copy), or null
 */
public record BatchScoreArgs(String bundle, String model, String version, String modelRoot, String input,
                             FileFormat format, String output, String jobId, String inputEtag, String routeReason,
                             String inputVersionId, String source) {

    public BatchScoreArgs(String bundle, String model, String version, String modelRoot, String input,
                          FileFormat format, String output, String jobId, String inputEtag, String routeReason) {
        this(bundle, model, version, modelRoot, input, format, output, jobId, inputEtag, routeReason, null, null);
    }

    public static final String USAGE = "BatchScoreJob (--bundle URI | --model NAME [--version V] --model-root URI)"
            + " --input URI [--format csv|jsonl|parquet] --output URI [--job-id ID] [--input-etag ETAG]"
            + " [--input-version-id ID] [--source URI] [--route-reason TEXT]";
    public static final String DEFAULT_ROUTE_REASON = "submitted to the batch job directly";

    private static final Set<String> VALUED = Set.of("--bundle", "--model", "--version", "--model-root", "--input",
            "--format", "--output", "--job-id", "--input-etag", "--route-reason", "--input-version-id", "--source");

    /** @throws IllegalArgumentException naming every missing or bad flag, then the usage */
    public static BatchScoreArgs parse(String[] args) {
        Flags f = Flags.parse(args, VALUED, Set.of());
        String bundle = f.get("--bundle");
        String model = f.get("--model");
        if (bundle != null && model != null) {
            f.problem("--bundle and --model exclude each other");
        } else if (bundle == null && model == null) {
            f.problem("--bundle is required (or --model with --model-root)");
        }
        if (model != null) {
            f.require("--model-root", "with --model");
            segment(f, "--model", model);
            segment(f, "--version", f.get("--version"));
        } else {
            onlyWithModel(f, "--version");
            onlyWithModel(f, "--model-root");
        }
        String input = f.require("--input", null);
        String output = f.require("--output", null);
        FileFormat format = format(f, input);
        if (input != null && output != null && overlap(input, output)) {
            f.problem("--output must be outside --input and must not contain it (got input " + input + ", output "
                    + output + ")");
        }
        for (String optional : List.of("--job-id", "--input-etag", "--route-reason", "--input-version-id", "--source")) {
            if (f.has(optional) && f.get(optional).isBlank()) {
                f.problem(optional + " must not be blank");
            }
        }
        f.check(USAGE);
        String reason = f.has("--route-reason") ? f.get("--route-reason") : DEFAULT_ROUTE_REASON;
        return new BatchScoreArgs(bundle, model, f.get("--version"), f.get("--model-root"), input, format, output,
                f.get("--job-id"), f.get("--input-etag"), reason, f.get("--input-version-id"), f.get("--source"));
    }

    private static FileFormat format(Flags f, String input) {
        if (f.has("--format")) {
            try {
                return FileFormat.fromName(f.get("--format"));
            } catch (IllegalArgumentException e) {
                f.problem("--format: " + e.getMessage());
                return null;
            }
        }
        if (input == null) {
            return null;
        }
        try {
            return FileFormat.fromFileName(lastSegment(input));
        } catch (IllegalArgumentException e) {
            f.problem("--format is required: " + e.getMessage());
            return null;
        }
    }

    private static void segment(Flags f, String flag, String value) {
        if (value != null && (!BundleMetadata.NAME_PATTERN.matcher(value).matches() || value.contains(".."))) {
            f.problem(flag + " '" + value + "' is not valid (letters, digits, '.', '_', '-'; at most 128)");
        }
    }

    private static void onlyWithModel(Flags f, String flag) {
        if (f.has(flag)) {
            f.problem(flag + " goes with --model, not --bundle");
        }
    }

    /** The same location, or one inside the other (compared as written: s3://b/x and s3://b/x/y). */
    private static boolean overlap(String a, String b) {
        String x = stripSlashes(a);
        String y = stripSlashes(b);
        return x.equals(y) || x.startsWith(y + "/") || y.startsWith(x + "/");
    }

    private static String lastSegment(String uri) {
        String u = stripSlashes(uri);
        return u.substring(u.lastIndexOf('/') + 1);
    }

    private static String stripSlashes(String uri) {
        String u = uri.strip();
        while (u.endsWith("/") && u.length() > 1) {
            u = u.substring(0, u.length() - 1);
        }
        return u;
    }
}
