package dev.mlserve.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Guards the version pins of the parent pom: Maven's nearest-wins resolution has picked, here,
 * an older jackson-core, slf4j-api and scala-library than Spark's own, each failing or going
 * silent only at run time.
 */
class ClasspathConsistencyTest {

    @Test
    void jacksonCoreAndDatabind_areSparksVersion() {
        assertThat(com.fasterxml.jackson.core.json.PackageVersion.VERSION.toString()).isEqualTo("2.15.2");
        assertThat(com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString()).isEqualTo("2.15.2");
    }

    @Test
    void scalaLibrary_isSparksScala() {
        assertThat(scala.util.Properties.versionNumberString()).isEqualTo("2.12.18");
    }

    @Test
    void slf4j_isBoundToLog4j2_notTheSilentNopLogger() {
        assertThat(LoggerFactory.getILoggerFactory().getClass().getName()).startsWith("org.apache.logging.slf4j");
    }

    @Test
    void spark_isTheVersionOfTheEmrRelease() {
        assertThat(org.apache.spark.package$.MODULE$.SPARK_VERSION()).isEqualTo("3.5.6");
    }
}
