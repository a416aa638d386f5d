package dev.mlserve.functions.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlserve.scoring.testing.TestSpark;
import dev.mlserve.scoring.io.FileFormat;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InlineLimitsTest {
    @TempDir
    Path dir;

    private Path parquet(int rows) throws Exception {
        SparkSession spark = TestSpark.session();
        Path out = dir.resolve("rows-" + rows);
        // one repeated value: dictionary and run-length encoding make the file tiny
        spark.range(rows).selectExpr("'basic' AS plan", "1.0 AS tenure").coalesce(1).write().parquet(out.toString());
        try (var files = Files.list(out)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
    }

    @Test
    void parquet_withMoreRowsThanTheLimit_isRefusedFromItsFooterWhateverItsSize() throws Exception {
        Path file = parquet(50_000);

        assertThat(Files.size(file)).as("a small object").isLessThan(20_000);
        assertThat(new InlineLimits(10_000, 1L << 30).exceededBy(file, FileFormat.PARQUET))
                .hasValueSatisfying(why -> assertThat(why).contains("50000 rows > inline limit of 10000"));
        assertThat(new InlineLimits(50_000, 1L << 30).exceededBy(file, FileFormat.PARQUET)).isEmpty();
    }

    @Test
    void gzipText_thatExpandsPastTheLimit_isRefusedWithoutDecompressingItAll() throws Exception {
        Path file = dir.resolve("bomb.csv.gz");
        byte[] line = "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n".getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd\n".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 400_000; i++) { // 24 MB of text
                out.write(line);
            }
        }

        assertThat(Files.size(file)).isLessThan(1 << 20);
        assertThat(new InlineLimits(10_000_000, 8L << 20).exceededBy(file, FileFormat.CSV))
                .hasValueSatisfying(why -> assertThat(why).contains("expands to more than 8388608 bytes"));
        assertThat(new InlineLimits(100_000, 1L << 30).exceededBy(file, FileFormat.CSV))
                .hasValueSatisfying(why -> assertThat(why).contains("more than 100000 rows"));
    }

    @Test
    void plainCsv_countsRowsWithoutItsHeader() throws Exception {
        Path file = dir.resolve("ten.csv");
        Files.writeString(file, "plan\n" + "basic\n".repeat(10));

        assertThat(new InlineLimits(10, 1L << 20).exceededBy(file, FileFormat.CSV)).isEmpty();
        assertThat(new InlineLimits(9, 1L << 20).exceededBy(file, FileFormat.CSV)).isPresent();
    }

    @Test
    void unreadableParquet_isLeftToScoringToRefuse() throws Exception {
        Path file = dir.resolve("broken.parquet");
        Files.writeString(file, "not parquet at all");

        assertThat(new InlineLimits(1, 1).exceededBy(file, FileFormat.PARQUET)).isEmpty();
    }
}
