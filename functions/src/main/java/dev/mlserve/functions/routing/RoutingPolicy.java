package dev.mlserve.functions.routing;

import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.routing.RouteDecision.Route;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that decides inline vs batch for a prediction request, from its record count and
 * body size against the configured limits (defaults and the measurements behind them:
 * docs/routing.md). Limits are inclusive: a request exactly at an inline limit is scored inline.
 */
public final class RoutingPolicy {
    private final int inlineMaxRecords;
    private final long inlineMaxBytes;
    private final int maxRecords;
    private final long maxRequestBytes;

    public RoutingPolicy(int inlineMaxRecords, long inlineMaxBytes, int maxRecords, long maxRequestBytes) {
        if (inlineMaxRecords < 1 || inlineMaxBytes < 1 || maxRecords < 1 || maxRequestBytes < 1) {
            throw new IllegalArgumentException("routing limits must be positive");
        }
        this.inlineMaxRecords = inlineMaxRecords;
        this.inlineMaxBytes = inlineMaxBytes;
        this.maxRecords = maxRecords;
        this.maxRequestBytes = maxRequestBytes;
    }

    public static RoutingPolicy from(FunctionConfig config) {
        return new RoutingPolicy(config.inlineMaxRecords(), config.inlineMaxBytes(), config.maxRecords(),
                config.maxRequestBytes());
    }

    /**
     * Checks the body size before the body is parsed.
     *
     * @throws RequestTooLargeException over {@code maxRequestBytes}
     */
    public void admit(long bytes) {
        if (bytes > maxRequestBytes) {
            throw new RequestTooLargeException("request body is " + size(bytes, maxRequestBytes) + ", over the maximum of "
                    + size(maxRequestBytes) + " per request");
        }
    }

    /**
     * @throws RequestTooLargeException over {@code maxRequestBytes} or {@code maxRecords}
     */
    public RouteDecision decide(int records, long bytes) {
        admit(bytes);
        if (records > maxRecords) {
            throw new RequestTooLargeException("request has " + records + " records, over the maximum of "
                    + maxRecords + " per request");
        }
        String measured = count(records) + ", " + size(bytes, inlineMaxBytes) + ": ";
        List<String> over = new ArrayList<>(2);
        if (records > inlineMaxRecords) {
            over.add(count(inlineMaxRecords));
        }
        if (bytes > inlineMaxBytes) {
            over.add(size(inlineMaxBytes));
        }
        if (over.isEmpty()) {
            return new RouteDecision(Route.INLINE, measured + "within inline limits (" + count(inlineMaxRecords)
                    + ", " + size(inlineMaxBytes) + ")");
        }
        return new RouteDecision(Route.BATCH, measured + "over the inline limit" + (over.size() > 1 ? "s" : "")
                + " of " + String.join(" and ", over) + ": scored by a batch job");
    }

    static String count(long records) {
        return records + (records == 1 ? " record" : " records");
    }

    /** A size shown next to a limit: exact bytes when rounding would hide which side of it it is on. */
    private static String size(long bytes, long limit) {
        String shown = size(bytes);
        return bytes != limit && shown.equals(size(limit)) ? bytes + " bytes" : shown;
    }

    /** Bytes as people read them: "512 bytes", "1.5 KiB", "1 MiB". */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + (bytes == 1 ? " byte" : " bytes");
        }
        double kib = bytes / 1024.0;
        if (kib < 1024) {
            return oneDecimal(kib) + " KiB";
        }
        return oneDecimal(kib / 1024.0) + " MiB";
    }

    private static String oneDecimal(double v) {
        double rounded = Math.round(v * 10) / 10.0;
        return rounded == Math.rint(rounded) ? Long.toString((long) rounded) : Double.toString(rounded);
    }
}
