package dev.mlserve.jobs.args;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --switch} flags, collecting every problem instead of stopping
 * at the first, so a job's {@code parse(String[])} can report all missing or bad flags at once.
 */
public final class Flags {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    private Flags() {
    }

    /**
     * @param valued flags that take a value
     * @param switches flags that take none
     */
    public static Flags parse(String[] args, Set<String> valued, Set<String> switches) {
        Flags flags = new Flags();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (switches.contains(a)) {
                flags.values.put(a, "true");
            } else if (valued.contains(a)) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    flags.problems.add(a + " needs a value");
                } else {
                    flags.values.put(a, args[++i]);
                }
            } else {
                flags.problems.add("unknown argument '" + a + "'");
            }
        }
        return flags;
    }

    public boolean has(String flag) {
        return values.containsKey(flag);
    }

    public String get(String flag) {
        return values.get(flag);
    }

    public String require(String flag, String why) {
        String v = values.get(flag);
        if (v == null) {
            problems.add(flag + " is required" + (why == null ? "" : " " + why));
        }
        return v;
    }

    public long getLong(String flag, long fallback, long min) {
        String v = values.get(flag);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < min) {
                problems.add(flag + " must be at least " + min + ", got " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(flag + " must be a whole number, got '" + v + "'");
            return fallback;
        }
    }

    public void problem(String message) {
        problems.add(message);
    }

    /** Throws one exception naming every problem found, or returns when there were none. */
    public void check(String usage) {
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + "\nusage: " + usage);
        }
    }
}
