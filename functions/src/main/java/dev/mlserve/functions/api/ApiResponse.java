package dev.mlserve.functions.api;

import java.util.Map;

/**
 * An API answer before it becomes a Lambda response: status, JSON body and extra headers.
 *
 * @param body serialised as JSON
 * @param error for a failure, the error the caller is told (what telemetry records); null otherwise
 * @param rejectedRecords for a 400 over bad records, how many were invalid (the body's details stop
 *     at a cap); 0 otherwise
 */
public record ApiResponse(int status, Object body, Map<String, String> headers, String error, long rejectedRecords) {

    public ApiResponse {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public ApiResponse(int status, Object body, Map<String, String> headers) {
        this(status, body, headers, null, 0);
    }

    public static ApiResponse of(int status, Object body) {
        return new ApiResponse(status, body, Map.of());
    }
}
