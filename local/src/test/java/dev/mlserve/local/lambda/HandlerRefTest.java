package dev.mlserve.local.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HandlerRefTest {
    private static final ClassLoader LOADER = HandlerRefTest.class.getClassLoader();

    /** Answers the request's path parameter; what a template would name as {@code Echo::handleRequest}. */
    public static final class Echo implements RequestHandler<APIGatewayProxyRequestEvent,
            APIGatewayProxyResponseEvent> {
        @Override
        public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
            return new APIGatewayProxyResponseEvent().withStatusCode(200)
                    .withBody(event.getPathParameters().get("model") + " " + context.getFunctionName());
        }
    }

    /** Fails: what Lambda reports as a function error. */
    public static final class Failing implements RequestHandler<S3Event, String> {
        @Override
        public String handleRequest(S3Event event, Context context) {
            throw new IllegalStateException("bucket unreachable: " + event.getRecords().get(0).getS3().getBucket()
                    .getName());
        }
    }

    @Test
    void resolve_eventTypeIsTheRequestHandlersInputType() {
        assertThat(HandlerRef.resolve("dev.mlserve.functions.api.PredictHandler", "handleRequest", LOADER)
                .eventType()).isEqualTo(APIGatewayProxyRequestEvent.class);
        assertThat(HandlerRef.resolve("dev.mlserve.functions.upload.UploadHandler", "handleRequest", LOADER)
                .eventType()).isEqualTo(S3Event.class);
    }

    @Test
    void invoke_deserializesTheEventFile_andSerializesTheAnswerAsTheRuntimeDoes() throws Exception {
        HandlerRef ref = HandlerRef.resolve(Echo.class.getName(), "handleRequest", LOADER);
        byte[] event = Files.readAllBytes(Path.of("../events/get-model.json"));

        String answer = new String(ref.invoke(ref.newInstance(), event,
                new LocalContext("PredictFunction", 3, 128, System.err)), StandardCharsets.UTF_8);

        assertThat(answer).contains("\"statusCode\":200").contains("\"body\":\"churn PredictFunction\"");
    }

    @Test
    void invoke_whenTheHandlerThrows_rethrowsItsOwnException() throws Exception {
        HandlerRef ref = HandlerRef.resolve(Failing.class.getName(), "handleRequest", LOADER);
        byte[] event = Files.readAllBytes(Path.of("../events/s3-put-small.json"));

        assertThatThrownBy(() -> ref.invoke(ref.newInstance(), event, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("bucket unreachable: mlserve-bucket");
    }

    @Test
    void resolve_whenTheClassOrMethodIsMissing_saysWhich() {
        assertThatThrownBy(() -> HandlerRef.resolve("com.example.Nope", "handleRequest", LOADER))
                .hasMessageContaining("com.example.Nope is not on the classpath");
        assertThatThrownBy(() -> HandlerRef.resolve(Echo.class.getName(), "handle", LOADER))
                .hasMessageContaining("found 0");
    }
}
