package dev.mlserve.functions.api;

import java.util.Locale;
import java.util.Map;

/**
 * An API request as the service sees it: no Lambda types.
 *
 * @param resource the matched API Gateway resource template ("/models/{model}/predict"), or null
 * @param path the request path ("/models/churn/predict")
 * @param headers header values by lower-case name
 * @param body the body as text (base64 bodies already decoded), or null
 * @param bodyBytes the size of the (decoded) body in bytes
 * @param baseUrl where this API is reachable ("https://host/Prod"), derived from the request; null
 *     when the request does not say
 */
public record ApiRequest(String method, String resource, String path, Map<String, String> pathParameters,
                         Map<String, String> queryParameters, Map<String, String> headers, String body,
                         long bodyBytes, String requestId, String baseUrl) {

    public ApiRequest {
        method = method == null ? "" : method.toUpperCase(Locale.ROOT);
        pathParameters = pathParameters == null ? Map.of() : Map.copyOf(pathParameters);
        queryParameters = queryParameters == null ? Map.of() : Map.copyOf(queryParameters);
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /** A header by name, any letter case. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String query(String name) {
        return queryParameters.get(name);
    }
}
