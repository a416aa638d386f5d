package dev.mlserve.local.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LocalJobWaitTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void jobIds_ofA202ProxyResponse_isItsJobId() {
        String answer = "{\"statusCode\":202,\"body\":\"{\\\"jobId\\\":\\\"job-7\\\",\\\"state\\\":\\\"SUBMITTED\\\"}\"}";

        assertThat(LocalJobWait.jobIds(bytes(answer))).containsExactly("job-7");
    }

    @Test
    void jobIds_ofAnUploadAnswer_areTheBatchSubmittedOutcomes() {
        String answer = "\"{\\\"outcomes\\\":[{\\\"action\\\":\\\"SCORED_INLINE\\\",\\\"where\\\":\\\"scored/a/\\\"},"
                + "{\\\"action\\\":\\\"BATCH_SUBMITTED\\\",\\\"where\\\":\\\"upload-abc\\\"}]}\"";

        assertThat(LocalJobWait.jobIds(bytes(answer))).containsExactly("upload-abc");
    }

    @Test
    void jobIds_ofA200OrNonJson_isEmpty() {
        assertThat(LocalJobWait.jobIds(bytes("{\"statusCode\":200,\"body\":\"{\\\"jobId\\\":\\\"x\\\"}\"}"))).isEmpty();
        assertThat(LocalJobWait.jobIds(bytes("not json"))).isEmpty();
        assertThat(LocalJobWait.jobIds(bytes("null"))).isEmpty();
    }
}
