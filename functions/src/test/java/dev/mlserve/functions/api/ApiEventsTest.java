package dev.mlserve.functions.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent.ProxyRequestContext;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.mlserve.scoring.error.BadInputException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiEventsTest {

    private static APIGatewayProxyRequestEvent event(String path, String contextPath, Map<String, String> headers) {
        return new APIGatewayProxyRequestEvent().withHttpMethod("POST").withPath(path).withHeaders(headers)
                .withRequestContext(new ProxyRequestContext().withPath(contextPath).withDomainName("ctx.example.com"));
    }

    @Test
    void toRequest_restEvent_readsMethodResourceParametersHeadersAndBody() {
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/predict-csv.json");

        ApiRequest request = ApiEvents.toRequest(event, "r-1");

        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.resource()).isEqualTo("/models/{model}/predict");
        assertThat(request.pathParameters()).containsEntry("model", "churn");
        assertThat(request.query("version")).isEqualTo("1");
        assertThat(request.header("content-type")).isEqualTo("Text/CSV; charset=utf-8");
        assertThat(request.bodyBytes()).isEqualTo(event.getBody().getBytes(StandardCharsets.UTF_8).length);
        assertThat(request.baseUrl()).isEqualTo("https://abc123.execute-api.us-east-1.amazonaws.com/Prod");
    }

    @Test
    void toRequest_base64Body_isDecodedAndMeasuredDecoded() {
        APIGatewayProxyRequestEvent plain = EventLoader.loadApiGatewayRestEvent("events/predict-csv.json");
        APIGatewayProxyRequestEvent encoded = EventLoader.loadApiGatewayRestEvent("events/predict-csv-base64.json");

        ApiRequest request = ApiEvents.toRequest(encoded, "r-1");

        assertThat(request.body()).isEqualTo(plain.getBody());
        assertThat(request.bodyBytes()).isEqualTo(plain.getBody().length());
    }

    @Test
    void toRequest_base64BodyThatDoesNotDecode_isBadInput() {
        APIGatewayProxyRequestEvent event = event("/models/churn/predict", null, Map.of()).withBody("%%%")
                .withIsBase64Encoded(true);

        assertThatThrownBy(() -> ApiEvents.toRequest(event, "r-1")).isInstanceOf(BadInputException.class);
    }

    @Test
    void baseUrl_customDomainWithoutStage_isSchemeAndHost() {
        APIGatewayProxyRequestEvent event = event("/models/churn/predict", "/models/churn/predict",
                Map.of("Host", "api.example.com"));

        assertThat(ApiEvents.toRequest(event, "r").baseUrl()).isEqualTo("https://api.example.com");
    }

    @Test
    void baseUrl_samLocalOverHttp_keepsTheForwardedScheme() {
        APIGatewayProxyRequestEvent event = event("/jobs/j", "/jobs/j",
                Map.of("Host", "127.0.0.1:3000", "X-Forwarded-Proto", "http"));

        assertThat(ApiEvents.toRequest(event, "r").baseUrl()).isEqualTo("http://127.0.0.1:3000");
    }

    @Test
    void baseUrl_withoutHostHeader_usesTheContextDomain() {
        APIGatewayProxyRequestEvent event = event("/jobs/j", "/v1/jobs/j", Map.of());

        assertThat(ApiEvents.toRequest(event, "r").baseUrl()).isEqualTo("https://ctx.example.com/v1");
    }

    @Test
    void requestId_withoutLambdaContext_fallsBackToApiGatewaysId() {
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent("events/get-model.json");

        assertThat(ApiEvents.requestId(event, null)).isEqualTo("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    }
}
