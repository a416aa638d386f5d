package dev.mlserve.scoring.fast;

/** A stage, or a parameter setting of one, the fast path does not reproduce; compilation stops. */
final class UnsupportedStage extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnsupportedStage(String reason) {
        super(reason, null, false, false);
    }
}
