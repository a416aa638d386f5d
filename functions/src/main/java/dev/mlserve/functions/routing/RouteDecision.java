package dev.mlserve.functions.routing;

import java.util.Locale;

/**
 * Where a request is scored, and why, in words a caller can read
 * ("3 records, 512 bytes: within inline limits (1000 records, 1 MiB)").
 */
public record RouteDecision(Route route, String reason) {

    public enum Route {
        /** Scored inside the Lambda, answered 200. */
        INLINE,
        /** Staged to the bucket and scored by a batch job, answered 202. */
        BATCH;

        /** The name callers see: "inline" or "batch". */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public boolean inline() {
        return route == Route.INLINE;
    }
}
