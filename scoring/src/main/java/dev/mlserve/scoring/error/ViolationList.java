package dev.mlserve.scoring.error;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the first {@code cap} violations added and only counts the rest, so a request with a
 * problem in each of 100,000 records holds (and answers) no more than the cap.
 */
public final class ViolationList extends AbstractList<Violation> {
    private final int cap;
    private final List<Violation> kept = new ArrayList<>();
    private long omitted;

    public ViolationList(int cap) {
        if (cap < 0) {
            throw new IllegalArgumentException("cap must not be negative: " + cap);
        }
        this.cap = cap;
    }

    /** Keeps the violation while under the cap, else counts it; always true, as a list's add is. */
    @Override
    public boolean add(Violation violation) {
        if (kept.size() < cap) {
            kept.add(violation);
        } else {
            omitted++;
        }
        return true;
    }

    @Override
    public Violation get(int index) {
        return kept.get(index);
    }

    /** The violations kept, at most the cap. */
    @Override
    public int size() {
        return kept.size();
    }

    /** The violations added beyond the cap. */
    public long omitted() {
        return omitted;
    }
}
