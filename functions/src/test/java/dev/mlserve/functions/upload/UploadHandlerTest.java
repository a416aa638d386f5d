package dev.mlserve.functions.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.mlserve.functions.upload.UploadService.Action;
import dev.mlserve.functions.upload.UploadService.Outcome;
import dev.mlserve.functions.upload.UploadService.Upload;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class UploadHandlerTest {
    private final UploadService service = mock(UploadService.class);
    private final S3Event event = EventLoader.loadS3Event("events/s3-put-incoming.json");

    @Test
    void handleRequest_passesBucketUrlDecodedKeyEtagAndSize_andAnswersTheOutcomesAsJson() throws Exception {
        when(service.handle(any())).thenReturn(new Outcome("incoming/churn/my customers(2026).csv",
                Action.SCORED_INLINE, "3 scored, 1 rejected", "scored/churn/my customers(2026).csv/"));

        String answer = new UploadHandler(service).handleRequest(event, null);

        ArgumentCaptor<Upload> upload = ArgumentCaptor.forClass(Upload.class);
        verify(service).handle(upload.capture());
        assertThat(upload.getValue()).isEqualTo(new Upload("mlserve-bucket", "incoming/churn/my customers(2026).csv",
                "d41d8cd98f00b204e9800998ecf8427e", 1024L));
        assertThat(answer).contains("\"action\":\"SCORED_INLINE\"").contains("3 scored, 1 rejected");
    }

    @Test
    void handleRequest_whenTheStoreFails_rethrowsSoLambdaRetriesTheEvent() throws Exception {
        when(service.handle(any())).thenThrow(new IOException("connection reset"));

        assertThatThrownBy(() -> new UploadHandler(service).handleRequest(event, null))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("connection reset");
    }
}
