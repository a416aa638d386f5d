package dev.mlserve.local.bench;

/**
 * One line of the bench table: a measured figure, the plain-Spark baseline it is compared with,
 * their ratio (figure / baseline) and the project's target for it.
 *
 * @param target the target in words, e.g. "ratio <= 0.02"; null when there is none
 * @param met whether the target is met; null when there is none
 */
record Figure(String bundle, String metric, double value, double baseline, String unit, String target,
              Boolean met) {

    double ratio() {
        return baseline == 0 ? Double.NaN : value / baseline;
    }

    static Figure ratioAtMost(String bundle, String metric, double value, double baseline, String unit,
                              double maxRatio) {
        return new Figure(bundle, metric, value, baseline, unit, "ratio <= " + maxRatio,
                baseline > 0 && value / baseline <= maxRatio);
    }

    static Figure ratioAtLeast(String bundle, String metric, double value, double baseline, String unit,
                               double minRatio) {
        return new Figure(bundle, metric, value, baseline, unit, "ratio >= " + minRatio,
                baseline > 0 && value / baseline >= minRatio);
    }

    static Figure plain(String bundle, String metric, double value, double baseline, String unit) {
        return new Figure(bundle, metric, value, baseline, unit, null, null);
    }

    Figure withTarget(String target, boolean met) {
        return new Figure(bundle, metric, value, baseline, unit, target, met);
    }
}
