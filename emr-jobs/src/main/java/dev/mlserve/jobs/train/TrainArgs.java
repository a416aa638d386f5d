package dev.mlserve.jobs.train;

import dev.mlserve.jobs.args.Flags;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Arguments of the training job.
 *
 * @param demo train on the generated churn data set instead of {@code data}
 * @param out the bundle root: the bundle lands in {@code out/<name>/<version>/}
 * @param exclude columns of the data that are not features (ids)
 */
public record TrainArgs(boolean demo, long rows, long seed, String data, String label, String name, String version,
                        String out, List<String> exclude) {

    public static final String USAGE = "train (--demo [--rows N] [--seed S] | --data FILE.csv --label COLUMN --name NAME)"
            + " [--version V] [--exclude COL,COL] --out DIR";

    public static TrainArgs parse(String[] args) {
        Flags f = Flags.parse(args, Set.of("--rows", "--seed", "--data", "--label", "--name", "--version", "--out",
                "--exclude"), Set.of("--demo"));
        boolean demo = f.has("--demo");
        long rows = f.getLong("--rows", 5000, 100);
        long seed = f.getLong("--seed", 42, Long.MIN_VALUE);
        String data = f.get("--data");
        String label = f.get("--label");
        String name = f.get("--name");
        if (demo) {
            if (data != null) {
                f.problem("--demo and --data exclude each other");
            }
            label = label == null ? ChurnDemoData.LABEL : label;
            name = name == null ? ChurnDemoData.NAME : name;
        } else {
            f.require("--data", "(or --demo)");
            f.require("--label", "with --data");
            f.require("--name", "with --data");
        }
        String out = f.require("--out", null);
        String version = f.has("--version") ? f.get("--version") : "1";
        List<String> exclude = f.has("--exclude")
                ? Arrays.stream(f.get("--exclude").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()
                : demo ? List.of(ChurnDemoData.ID) : List.of();
        f.check(USAGE);
        return new TrainArgs(demo, rows, seed, data, label, name, version, out, exclude);
    }
}
