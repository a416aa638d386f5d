package dev.mlserve.scoring.api;

import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.error.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON bodies the API answers, shared by the Lambda handler and the CLI so both say the same. */
public final class Responses {
    private Responses() {
    }

    /** {@code {"model", "version", "predictions": [...]}}. */
    public static Map<String, Object> predictions(BundleMetadata metadata, List<Map<String, Object>> predictions) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", metadata.name());
        body.put("version", metadata.version());
        body.put("predictions", predictions);
        return body;
    }

    /** {@code {"error", "details": [{"record", "field", "reason"}], "requestId"}}; never a stack trace. */
    public static Map<String, Object> error(String message, List<Violation> violations, String requestId) {
        return error(message, violations, 0, requestId);
    }

    /**
     * {@code {"error", "details": [...], "detailsOmitted"?, "requestId"}}: at most
     * {@link BadInputException#MAX_DETAILS} details; {@code detailsOmitted}, present only when
     * some were left out, counts the rest (those of {@code omitted} and any beyond the cap here).
     */
    public static Map<String, Object> error(String message, List<Violation> violations, long omitted,
                                            String requestId) {
        int kept = Math.min(violations.size(), BadInputException.MAX_DETAILS);
        long left = omitted + violations.size() - kept;
        List<Map<String, Object>> details = new ArrayList<>(kept);
        for (Violation v : violations.subList(0, kept)) {
            Map<String, Object> d = new LinkedHashMap<>();
            if (v.record() >= 0) {
                d.put("record", v.record());
            }
            if (v.field() != null) {
                d.put("field", v.field());
            }
            d.put("reason", v.reason());
            details.add(d);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("details", details);
        if (left > 0) {
            body.put("detailsOmitted", left);
        }
        body.put("requestId", requestId);
        return body;
    }

    /** The error body of any failure; real faults say only that they happened. */
    public static Map<String, Object> error(Throwable e, String requestId) {
        if (e instanceof BadInputException b) {
            return error(b.getMessage(), b.violations(), b.omitted(), requestId);
        }
        if (e instanceof ModelNotFoundException) {
            return error(e.getMessage(), List.of(), requestId);
        }
        return error("internal error; see the function log for request " + requestId, List.of(), requestId);
    }
}
