package dev.mlserve.local.sam;

import java.util.List;
import java.util.Map;

/**
 * One {@code AWS::Serverless::Function} of the template, Globals applied.
 *
 * @param handler {@code package.Class::method}
 * @param environment its variables (Globals merged with the function's), intrinsics resolved
 * @param unresolved names of variables whose value needs a deployment (dropped from environment)
 * @param apiRoutes its {@code Api} events
 * @param s3Triggers its {@code S3} events
 */
public record SamFunction(String logicalId, String handler, Map<String, String> environment, List<String> unresolved,
                          int timeoutSeconds, int memoryMb, List<ApiRoute> apiRoutes, List<S3Trigger> s3Triggers) {

    /** An {@code Api} event: HTTP method (upper case, or ANY) and path template like {@code /jobs/{jobId}}. */
    public record ApiRoute(String eventName, String method, String path) {
    }

    /** An {@code S3} event's key filter (prefix and suffix rules; empty matches everything). */
    public record S3Trigger(String eventName, String prefix, String suffix) {
        public boolean matches(String key) {
            return key.startsWith(prefix) && key.endsWith(suffix);
        }
    }

    public String handlerClass() {
        int sep = handler.indexOf("::");
        return sep < 0 ? handler : handler.substring(0, sep);
    }

    /** The method after {@code ::}; {@code handleRequest} when the handler names only a class. */
    public String handlerMethod() {
        int sep = handler.indexOf("::");
        return sep < 0 ? "handleRequest" : handler.substring(sep + 2);
    }
}
