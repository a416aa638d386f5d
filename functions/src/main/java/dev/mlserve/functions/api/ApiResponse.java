package dev.mlserve.functions.api;

import java.util.Map;

/**
 * An API answer before it becomes a Lambda response: status, JSON body and extra headers.
 *
 * @param body serialised as JSON
 */
public record ApiResponse(int status, Object body, Map<String, String> headers) {

    public ApiResponse {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public static ApiResponse of(int status, Object body) {
        return new ApiResponse(status, body, Map.of());
    }
}
