package dev.mlserve.jobs;

import dev.mlserve.scoring.spark.SparkSessions;
import dev.mlserve.scoring.spark.SparkSettings;
import org.apache.spark.sql.SparkSession;

/**
 * Under spark-submit (EMR) the launcher configures Spark, except the session time zone, which is
 * UTC as in the Lambda functions so that time expressions in a pipeline answer the same in both;
 * run directly, a local session.
 */
public final class JobSessions {
    private JobSessions() {
    }

    public static SparkSession create(String appName) {
        if (System.getProperty("spark.master") != null) {
            return SparkSession.builder().appName(appName)
                    .config("spark.sql.session.timeZone", "UTC")
                    .getOrCreate();
        }
        return SparkSessions.getOrCreate(SparkSettings.defaults(appName));
    }
}
