package dev.mlserve.functions.telemetry;

/**
 * What one API request turned out to be, filled in as the service learns it (so a failure half way
 * still logs what was known). Counts and names only: never record contents.
 */
public final class RequestFacts {
    private final String requestId;
    private final String method;
    private String resource;
    private String model;
    private String version;
    private String format;
    private String route;
    private String jobId;
    private Integer records;
    private long bytes;
    private int scored;
    private int batched;

    public RequestFacts(String requestId, String method, String resource) {
        this.requestId = requestId;
        this.method = method;
        this.resource = resource;
    }

    public RequestFacts resource(String value) {
        this.resource = value;
        return this;
    }

    public RequestFacts model(String value) {
        this.model = value;
        return this;
    }

    public RequestFacts version(String value) {
        this.version = value;
        return this;
    }

    public RequestFacts format(String value) {
        this.format = value;
        return this;
    }

    public RequestFacts route(String value) {
        this.route = value;
        return this;
    }

    public RequestFacts jobId(String value) {
        this.jobId = value;
        return this;
    }

    public RequestFacts records(int count) {
        this.records = count;
        return this;
    }

    public RequestFacts bytes(long count) {
        this.bytes = count;
        return this;
    }

    public RequestFacts scored(int count) {
        this.scored = count;
        return this;
    }

    public RequestFacts batched(int count) {
        this.batched = count;
        return this;
    }

    public String requestId() {
        return requestId;
    }

    public String method() {
        return method;
    }

    public String resource() {
        return resource;
    }

    public String model() {
        return model;
    }

    public String version() {
        return version;
    }

    public String format() {
        return format;
    }

    /** "inline", "batch", or null when the request never got as far as routing. */
    public String route() {
        return route;
    }

    public String jobId() {
        return jobId;
    }

    public Integer records() {
        return records;
    }

    public long bytes() {
        return bytes;
    }

    public int scored() {
        return scored;
    }

    public int batched() {
        return batched;
    }
}
