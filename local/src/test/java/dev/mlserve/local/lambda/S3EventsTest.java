package dev.mlserve.local.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.events.models.s3.S3EventNotification.S3ObjectEntity;
import dev.mlserve.scoring.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class S3EventsTest {
    @TempDir
    Path dir;

    @Test
    void put_encodesTheKeyAsS3Does_andTheHandlerDecodesItBack() {
        S3Event event = S3Events.put("local", "incoming/churn/my customers(2026).csv", 12, "abc",
                Instant.parse("2026-11-25T06:00:00Z"));

        S3ObjectEntity object = event.getRecords().get(0).getS3().getObject();
        assertThat(object.getKey()).isEqualTo("incoming/churn/my+customers%282026%29.csv");
        assertThat(object.getUrlDecodedKey()).isEqualTo("incoming/churn/my customers(2026).csv");
        assertThat(object.getSizeAsLong()).isEqualTo(12L);
        assertThat(object.geteTag()).isEqualTo("abc");
        assertThat(event.getRecords().get(0).getEventName()).isEqualTo("ObjectCreated:Put");
        assertThat(event.getRecords().get(0).getS3().getBucket().getName()).isEqualTo("local");
    }

    @Test
    void put_ofAFile_carriesItsSizeAndMd5Etag() throws Exception {
        Path file = dir.resolve("a.csv");
        Files.writeString(file, "");

        S3ObjectEntity object = S3Events.put("local", "incoming/churn/a.csv", file).getRecords().get(0).getS3()
                .getObject();

        assertThat(object.getSizeAsLong()).isZero();
        assertThat(object.geteTag()).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
    }

    /** The S3 events in events/ must match their objects in events/bucket/, or the handler ignores them. */
    @Test
    void sampleS3Events_withAnObjectInEventsBucket_carryItsSizeAndEtag() throws Exception {
        int checked = 0;
        try (var files = Files.list(Path.of("../events"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("s3-")).toList()) {
                var object = Json.MAPPER.readTree(f.toFile()).path("Records").path(0).path("s3").path("object");
                S3ObjectEntity entity = new S3ObjectEntity(object.path("key").asText(), object.path("size").asLong(),
                        object.path("eTag").asText(), null, null);
                Path body = Path.of("../events/bucket").resolve(entity.getUrlDecodedKey());
                if (Files.exists(body)) {
                    assertThat(Files.size(body)).as(f.toString()).isEqualTo(entity.getSizeAsLong());
                    assertThat(S3Events.md5Hex(body)).as(f.toString()).isEqualTo(entity.geteTag());
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(2);
    }
}
