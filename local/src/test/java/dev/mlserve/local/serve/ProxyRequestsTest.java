package dev.mlserve.local.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyRequestsTest {
    private final RouteTable.Match match = new RouteTable.Match(
            new RouteTable.Route("PredictFunction", "POST", "/models/{model}/predict"), Map.of("model", "churn"));

    private static ProxyRequests.HttpRequest request(String contentType, byte[] body, String query) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Host", List.of("127.0.0.1:3000"));
        headers.put("Accept", List.of("text/plain", "application/json"));
        if (contentType != null) {
            headers.put("Content-Type", List.of(contentType));
        }
        return new ProxyRequests.HttpRequest("POST", "/models/churn/predict", query, headers, body, "127.0.0.1");
    }

    @Test
    void build_jsonBody_isPlainText_withResourcePathAndContext() {
        APIGatewayProxyRequestEvent event = ProxyRequests.build(request("application/json; charset=utf-8",
                "{\"records\":[]}".getBytes(StandardCharsets.UTF_8), null), match, "v1");

        assertThat(event.getBody()).isEqualTo("{\"records\":[]}");
        assertThat(event.getIsBase64Encoded()).isFalse();
        assertThat(event.getResource()).isEqualTo("/models/{model}/predict");
        assertThat(event.getPath()).isEqualTo("/models/churn/predict");
        assertThat(event.getHttpMethod()).isEqualTo("POST");
        assertThat(event.getPathParameters()).containsEntry("model", "churn");
        assertThat(event.getQueryStringParameters()).isNull();
        assertThat(event.getRequestContext().getStage()).isEqualTo("v1");
        assertThat(event.getRequestContext().getResourcePath()).isEqualTo("/models/{model}/predict");
        assertThat(event.getRequestContext().getHttpMethod()).isEqualTo("POST");
        assertThat(event.getRequestContext().getRequestId()).isNotBlank();
        assertThat(event.getRequestContext().getIdentity().getSourceIp()).isEqualTo("127.0.0.1");
    }

    @Test
    void build_binaryBody_isBase64Encoded() {
        byte[] parquet = {'P', 'A', 'R', '1', (byte) 0xff, 0};

        APIGatewayProxyRequestEvent event = ProxyRequests.build(request("application/octet-stream", parquet, null),
                match, "v1");

        assertThat(event.getIsBase64Encoded()).isTrue();
        assertThat(Base64.getDecoder().decode(event.getBody())).isEqualTo(parquet);
    }

    @Test
    void build_repeatedHeadersAndQueryParameters_keepAllInMultiValueMaps_andTheLastInSingleValueMaps() {
        APIGatewayProxyRequestEvent event = ProxyRequests.build(request(null, null,
                "outputs=prediction&outputs=probability&version=2&note=a%20b"), match, "v1");

        assertThat(event.getHeaders()).containsEntry("Accept", "application/json");
        assertThat(event.getMultiValueHeaders().get("Accept")).containsExactly("text/plain", "application/json");
        assertThat(event.getQueryStringParameters()).containsEntry("outputs", "probability").containsEntry("version",
                "2").containsEntry("note", "a b");
        assertThat(event.getMultiValueQueryStringParameters().get("outputs")).containsExactly("prediction",
                "probability");
        assertThat(event.getBody()).isNull();
    }
}
