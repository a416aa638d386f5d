package dev.mlserve.scoring.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputSplitsTest {
    private static final long MIB = 1L << 20;
    private static final long MAX = 128 * MIB;
    private static final long OPEN = 4 * MIB;

    @TempDir
    Path dir;

    @Test
    void evenSplitBytes_loneSmallFile_isCutIntoOneEqualShareOfTheInputPerCore() {
        // Spark: min(128, max(4, (14 + 4) / 2)) = 9 MiB, so splits of 9 and 5
        assertThat(InputSplits.evenSplitBytes(14 * MIB, 1, 2, MAX, OPEN)).isEqualTo(7 * MIB);
        // Spark: 4.5 and 0.5 MiB
        assertThat(InputSplits.evenSplitBytes(5 * MIB, 1, 2, MAX, OPEN)).isEqualTo(5 * MIB / 2);
        assertThat(InputSplits.evenSplitBytes(3 * MIB + 1, 1, 2, MAX, OPEN)).isEqualTo(3 * MIB / 2 + 1);
    }

    @Test
    void evenSplitBytes_inputTooSmallToShare_orOneCore_leavesSparksCut() {
        assertThat(InputSplits.evenSplitBytes(MIB, 1, 2, MAX, OPEN)).isZero();
        assertThat(InputSplits.evenSplitBytes(40_000, 1, 2, MAX, OPEN)).isZero();
        assertThat(InputSplits.evenSplitBytes(14 * MIB, 1, 1, MAX, OPEN)).isZero();
        assertThat(InputSplits.evenSplitBytes(0, 0, 2, MAX, OPEN)).isZero();
    }

    @Test
    void evenSplitBytes_largeInput_whereSparksCutIsAlreadyEvenOrCapped_isLeftAlone() {
        assertThat(InputSplits.evenSplitBytes(1024 * MIB, 1, 2, MAX, OPEN)).isZero();
        assertThat(InputSplits.evenSplitBytes(10_000 * MIB, 1, 64, MAX, OPEN)).isZero();
        // 1 GiB on 64 cores: Spark's (1024 + 4) / 64 differs from 1024 / 64 by 1/16 MiB; still evened
        assertThat(InputSplits.evenSplitBytes(1024 * MIB, 1, 64, MAX, OPEN)).isEqualTo(16 * MIB);
    }

    @Test
    void of_smallFile_isReadInASessionWithEvenSplitsAndTheCallersSettings() throws IOException {
        SparkSession spark = TestSpark.session();
        Path csv = dir.resolve("in.csv");
        StringBuilder text = new StringBuilder("id,value\n");
        for (int i = 0; text.length() < 3 * MIB; i++) {
            text.append(i).append(",some text to make the row longer ").append(i * 7).append('\n');
        }
        Files.writeString(csv, text);
        String zone = spark.conf().get("spark.sql.session.timeZone");
        spark.conf().set("spark.sql.session.timeZone", "Pacific/Auckland");
        try {
            InputSplits.Sized input = InputSplits.of(spark, csv.toUri().toString());
            SparkSession sized = input.session();

            assertThat(input.bytes()).isEqualTo(Files.size(csv));
            assertThat(sized).isNotSameAs(spark);
            assertThat(sized.sparkContext()).isSameAs(spark.sparkContext());
            assertThat(sized.conf().get("spark.sql.session.timeZone")).isEqualTo("Pacific/Auckland");
            assertThat(spark.read().text(csv.toString()).rdd().getNumPartitions())
                    .as("Spark's own cut of this file").isEqualTo(1);
            assertThat(sized.read().text(csv.toString()).rdd().getNumPartitions())
                    .isEqualTo(spark.sparkContext().defaultParallelism());
            assertThat(spark.conf().get("spark.sql.files.maxPartitionBytes")).as("the caller's session is untouched")
                    .isNotEqualTo(sized.conf().get("spark.sql.files.maxPartitionBytes"));
        } finally {
            spark.conf().set("spark.sql.session.timeZone", zone);
        }
    }

    @Test
    void of_missingOrTinyInput_isTheCallersSession() throws IOException {
        SparkSession spark = TestSpark.session();
        Path tiny = Files.writeString(dir.resolve("tiny.csv"), "id\n1\n");

        assertThat(InputSplits.of(spark, tiny.toUri().toString())).isEqualTo(new InputSplits.Sized(spark,
                Files.size(tiny)));
        assertThat(InputSplits.of(spark, dir.resolve("missing.csv").toUri().toString()))
                .isEqualTo(new InputSplits.Sized(spark, -1));
    }
}
