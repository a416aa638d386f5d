package dev.mlserve.functions.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlserve.functions.config.FunctionConfig;
import dev.mlserve.functions.routing.RouteDecision.Route;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingPolicyTest {
    private static final long MIB = 1024 * 1024;
    private final RoutingPolicy policy = new RoutingPolicy(1000, MIB, 50_000, 6 * MIB);

    @Test
    void decide_smallRequest_isInlineAndSaysWhy() {
        RouteDecision d = policy.decide(3, 512);

        assertThat(d.route()).isEqualTo(Route.INLINE);
        assertThat(d.reason()).isEqualTo("3 records, 512 bytes: within inline limits (1000 records, 1 MiB)");
    }

    @Test
    void decide_exactlyAtBothInlineLimits_isInline() {
        assertThat(policy.decide(1000, MIB).route()).isEqualTo(Route.INLINE);
    }

    @Test
    void decide_oneRecordOverInlineLimit_isBatchNamingTheRecordLimit() {
        RouteDecision d = policy.decide(1001, 200_000);

        assertThat(d.route()).isEqualTo(Route.BATCH);
        assertThat(d.reason()).isEqualTo("1001 records, 195.3 KiB: over the inline limit of 1000 records: scored by a batch job");
    }

    @Test
    void decide_oneByteOverInlineLimit_isBatchShowingExactBytes() {
        RouteDecision d = policy.decide(10, MIB + 1);

        assertThat(d.route()).isEqualTo(Route.BATCH);
        assertThat(d.reason()).isEqualTo("10 records, 1048577 bytes: over the inline limit of 1 MiB: scored by a batch job");
    }

    @Test
    void decide_overBothInlineLimits_namesBoth() {
        assertThat(policy.decide(5000, 2 * MIB).reason())
                .isEqualTo("5000 records, 2 MiB: over the inline limits of 1000 records and 1 MiB: scored by a batch job");
    }

    @Test
    void decide_exactlyAtHardCaps_isBatch() {
        assertThat(policy.decide(50_000, 6 * MIB).route()).isEqualTo(Route.BATCH);
    }

    @Test
    void decide_oneRecordOverMaxRecords_isTooLarge() {
        assertThatThrownBy(() -> policy.decide(50_001, MIB))
                .isInstanceOf(RequestTooLargeException.class)
                .hasMessage("request has 50001 records, over the maximum of 50000 per request");
    }

    @Test
    void admit_oneByteOverMaxRequestBytes_isTooLarge() {
        assertThatThrownBy(() -> policy.admit(6 * MIB + 1))
                .isInstanceOf(RequestTooLargeException.class)
                .hasMessage("request body is 6291457 bytes, over the maximum of 6 MiB per request");
    }

    @Test
    void admit_exactlyAtMaxRequestBytes_passes() {
        policy.admit(6 * MIB);
    }

    @Test
    void decide_oneRecord_saysRecordInSingular() {
        assertThat(policy.decide(1, 1).reason()).startsWith("1 record, 1 byte: ");
    }

    @Test
    void from_defaultConfiguration_usesDocumentedDefaults() {
        RoutingPolicy defaults = RoutingPolicy.from(FunctionConfig.fromEnv(Map.of()));

        assertThat(defaults.decide(5000, MIB).route()).isEqualTo(Route.INLINE);
        assertThat(defaults.decide(5001, MIB).route()).isEqualTo(Route.BATCH);
        assertThat(defaults.decide(10, MIB + 1).route()).isEqualTo(Route.BATCH);
    }
}
