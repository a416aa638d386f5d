package dev.mlserve.jobs.train;

import java.util.Random;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A seeded, realistic customer-churn data set: contract, plan, payment and usage features, some
 * values missing, churn driven by a noisy logistic model (month-to-month contracts, short tenure,
 * high charges and many support calls churn more). Each row depends only on the seed and its id,
 * so the data is the same however Spark partitions it.
 */
public final class ChurnDemoData {
    public static final String NAME = "churn";
    public static final String LABEL = "churned";
    public static final String ID = "customerId";

    public static final StructType SCHEMA = new StructType()
            .add(ID, DataTypes.StringType, false)
            .add("plan", DataTypes.StringType, false)
            .add("contract", DataTypes.StringType, false)
            .add("paymentMethod", DataTypes.StringType, true)
            .add("region", DataTypes.StringType, true)
            .add("tenureMonths", DataTypes.DoubleType, true)
            .add("monthlyCharges", DataTypes.DoubleType, false)
            .add("supportCalls", DataTypes.IntegerType, true)
            .add("dataUsageGb", DataTypes.DoubleType, true)
            .add("paperlessBilling", DataTypes.BooleanType, false)
            .add(LABEL, DataTypes.StringType, false);

    private static final String[] REGIONS = {"north", "south", "east", "west"};

    private ChurnDemoData() {
    }

    public static Dataset<Row> generate(SparkSession spark, long rows, long seed) {
        return spark.range(rows).map((MapFunction<Long, Row>) id -> row(id, seed), Encoders.row(SCHEMA));
    }

    /** One customer; public so tests and the bench can make records without Spark. */
    public static Row row(long id, long seed) {
        Random r = new Random(seed * 1_000_003L + id);
        double u = r.nextDouble();
        String contract = u < 0.55 ? "month-to-month" : u < 0.80 ? "one-year" : "two-year";
        u = r.nextDouble();
        String plan = u < 0.45 ? "basic" : u < 0.80 ? "standard" : "premium";
        u = r.nextDouble();
        String payment = u < 0.35 ? "electronic-check" : u < 0.60 ? "card" : u < 0.85 ? "bank-transfer" : "mailed-check";
        double tenure = switch (contract) {
            case "month-to-month" -> r.nextDouble() * 36;
            case "one-year" -> 6 + r.nextDouble() * 54;
            default -> 12 + r.nextDouble() * 60;
        };
        tenure = Math.floor(tenure);
        double usage = Math.exp(1.5 + r.nextGaussian() * 0.8);
        double base = switch (plan) {
            case "basic" -> 25 + r.nextGaussian() * 5;
            case "standard" -> 55 + r.nextGaussian() * 8;
            default -> 95 + r.nextGaussian() * 10;
        };
        double charges = Math.round(Math.max(10, base + usage * 0.5) * 100) / 100.0;
        int calls = (int) Math.min(9, Math.floor(-Math.log(1 - r.nextDouble()) * 1.3));
        boolean paperless = r.nextDouble() < 0.6;
        double logit = -1.1
                + (contract.equals("month-to-month") ? 1.4 : 0)
                - (contract.equals("two-year") ? 1.0 : 0)
                - 0.035 * tenure
                + 0.018 * (charges - 50)
                + 0.32 * calls
                + (payment.equals("electronic-check") ? 0.5 : 0)
                + (paperless ? 0.2 : 0)
                + r.nextGaussian() * 0.4;
        boolean churned = r.nextDouble() < 1 / (1 + Math.exp(-logit));
        return RowFactory.create(
                String.format("C%07d", id),
                plan,
                contract,
                r.nextDouble() < 0.02 ? null : payment,
                r.nextDouble() < 0.03 ? null : REGIONS[r.nextInt(REGIONS.length)],
                r.nextDouble() < 0.05 ? null : tenure,
                charges,
                r.nextDouble() < 0.03 ? null : calls,
                r.nextDouble() < 0.08 ? null : Math.round(usage * 100) / 100.0,
                paperless,
                churned ? "yes" : "no");
    }
}
