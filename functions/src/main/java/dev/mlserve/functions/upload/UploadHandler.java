package dev.mlserve.functions.upload;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.events.models.s3.S3EventNotification.S3Entity;
import com.amazonaws.services.lambda.runtime.events.models.s3.S3EventNotification.S3EventNotificationRecord;
import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.scoring.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * S3 {@code ObjectCreated} on {@code incoming/}: each record goes to {@link UploadService}. Real
 * faults are rethrown so Lambda retries the event; refused uploads are answered by a FAILED
 * manifest, not an exception. Built once per container (SparkSession, stores, launcher).
 */
public final class UploadHandler implements RequestHandler<S3Event, String> {
    private final UploadService service;
    /** Held here: a CRaC context does not keep its resources alive. */
    private final UploadPriming priming;

    /**
     * What Lambda calls: everything wired from the environment (FunctionConfig). Registers the
     * SnapStart hooks, which prime the models of {@code MLSERVE_PRELOAD_MODELS}.
     */
    public UploadHandler() {
        this(FunctionConfig.fromEnv());
    }

    private UploadHandler(FunctionConfig config) {
        this.service = UploadService.fromEnvironment(config);
        this.priming = new UploadPriming(service, config.preloadModels());
        org.crac.Core.getGlobalContext().register(priming);
    }

    /**
     * An in-process handler over a service the caller wired ({@link UploadService#create}), for the
     * local emulator ({@code serve}, {@code demo} in scoring-local.jar), where the configuration
     * comes from the template rather than this process's environment. Lambda uses the no-arg
     * constructor.
     */
    public static UploadHandler withService(UploadService service) {
        return new UploadHandler(Objects.requireNonNull(service, "service"));
    }

    UploadHandler(UploadService service) {
        this.service = service;
        this.priming = null;
    }

    /** The event's versionId; null when the bucket is unversioned (the event then has none or ""). */
    private static String versionId(S3Entity s3) {
        String id = s3.getObject().getVersionId();
        return id == null || id.isBlank() ? null : id;
    }

    @Override
    public String handleRequest(S3Event event, Context context) {
        List<UploadService.Outcome> outcomes = new ArrayList<>();
        for (S3EventNotificationRecord record : event.getRecords()) {
            S3Entity s3 = record.getS3();
            try {
                outcomes.add(service.handle(new UploadService.Upload(s3.getBucket().getName(),
                        s3.getObject().getUrlDecodedKey(), s3.getObject().geteTag(), versionId(s3),
                        s3.getObject().getSizeAsLong())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try {
            return Json.MAPPER.writeValueAsString(Map.of("outcomes", outcomes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
