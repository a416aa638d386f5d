package dev.mlserve.functions.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.functions.routing.RequestTooLargeException;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.error.Violation;
import dev.mlserve.scoring.testing.TestSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/** The API's one error mapper: each failure's status, the body the caller sees and the error telemetry records. */
class FailureMappingTest {

    @Test
    void failure_ofEachCallerMistake_hasItsStatusAndTheSameErrorInBodyAndTelemetry() {
        Map<Exception, Integer> cases = Map.of(
                new BadInputException("1 of 2 records are invalid", List.of(new Violation(0, "plan", "missing"))), 400,
                new ModelNotFoundException("unknown model 'x'"), 404,
                new NotFoundException("no route GET /nope"), 404,
                new MethodNotAllowedException("use POST", "POST"), 405,
                new RequestTooLargeException("body over 6 MiB"), 413,
                new UnsupportedMediaTypeException("text/plain is not read"), 415,
                new IdempotencyConflictException("Idempotency-Key reused"), 422);

        cases.forEach((e, status) -> {
            ApiResponse response = PredictHandler.failure(e, "req-1");

            assertThat(response.status()).as(e.toString()).isEqualTo(status);
            assertThat(response.error()).as(e.toString()).isEqualTo(e.getMessage())
                    .isEqualTo(((Map<?, ?>) response.body()).get("error"));
        });
    }

    @Test
    void failure_ofACheckedSparkExceptionFromAStagesUdf_isA400NamingSparksReason() {
        SparkSession spark = TestSpark.session();
        spark.udf().register("refuse", (UDF1<String, String>) v -> {
            throw new IllegalArgumentException("Unseen label: " + v);
        }, DataTypes.StringType);
        Exception thrown = null;
        try {
            spark.sql("SELECT refuse('zz')").collectAsList();
        } catch (Exception e) { // Spark's job failure: a checked SparkException
            thrown = e;
        }

        ApiResponse response = PredictHandler.failure(thrown, "req-2");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.error()).contains("Unseen label: zz");
    }

    @Test
    void failure_ofARealFault_is500WithAGenericErrorAndTheRequestId() {
        ApiResponse response = PredictHandler.failure(new IllegalStateException("s3://secret-bucket/key broke"),
                "req-3");

        assertThat(response.status()).isEqualTo(500);
        assertThat(response.error()).doesNotContain("secret-bucket").contains("req-3");
        assertThat(response.body().toString()).doesNotContain("secret-bucket");
    }
}
