package dev.mlserve.functions.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import dev.mlserve.functions.testing.MutableClock;
import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.bundle.BundleMetadata;
import dev.mlserve.scoring.bundle.BundleStore;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.error.ModelNotFoundException;
import dev.mlserve.scoring.score.Scorer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScorerCacheTest {
    private final BundleStore store = mock(BundleStore.class);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    private final List<Bundle> loaded = new ArrayList<>();

    private ScorerCache cache(int latestCheckSeconds, int capacity) {
        return new ScorerCache(store, bundle -> {
            loaded.add(bundle);
            return mock(Scorer.class);
        }, clock, Duration.ofSeconds(latestCheckSeconds), capacity);
    }

    private static Bundle bundle(String name, String version) {
        return new Bundle(new BundleMetadata(name, version, "3.5.6", null,
                List.of(new FieldSpec("x", FieldType.DOUBLE, true)), List.of("prediction"), Map.of()),
                Path.of("/bundles", name, version));
    }

    @Test
    void resolveVersion_withinCheckInterval_asksTheStoreOnce() {
        when(store.currentVersion("churn")).thenReturn("1");
        ScorerCache cache = cache(60, 4);

        cache.resolveVersion("churn", null);
        clock.advance(Duration.ofSeconds(59));
        String version = cache.resolveVersion("churn", null);

        assertThat(version).isEqualTo("1");
        verify(store, times(1)).currentVersion("churn");
    }

    @Test
    void resolveVersion_afterCheckInterval_picksUpNewLatestWithoutRestart() {
        when(store.currentVersion("churn")).thenReturn("1", "2");
        ScorerCache cache = cache(60, 4);
        assertThat(cache.resolveVersion("churn", null)).isEqualTo("1");

        clock.advance(Duration.ofSeconds(60));

        assertThat(cache.resolveVersion("churn", null)).isEqualTo("2");
        verify(store, times(2)).currentVersion("churn");
    }

    @Test
    void resolveVersion_withZeroInterval_asksEveryTime() {
        when(store.currentVersion("churn")).thenReturn("1");
        ScorerCache cache = cache(0, 4);

        cache.resolveVersion("churn", null);
        cache.resolveVersion("churn", null);

        verify(store, times(2)).currentVersion("churn");
    }

    @Test
    void resolveVersion_requestedVersion_isUsedWithoutAskingForLatest() {
        assertThat(cache(60, 4).resolveVersion("churn", "7")).isEqualTo("7");
        verifyNoInteractions(store);
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "../models", "a/b", "a\\b", "", " churn", "%2e%2e"})
    void resolveVersion_modelNameThatIsNotOneSegment_isUnknownAndNeverReachesTheStore(String name) {
        assertThatThrownBy(() -> cache(60, 4).resolveVersion(name, null)).isInstanceOf(ModelNotFoundException.class);
        verifyNoInteractions(store);
    }

    @Test
    void resolveVersion_versionThatIsNotOneSegment_isUnknown() {
        assertThatThrownBy(() -> cache(60, 4).resolveVersion("churn", "../2")).isInstanceOf(ModelNotFoundException.class);
        verifyNoInteractions(store);
    }

    @Test
    void scorer_sameModelAndVersion_isLoadedOnce() {
        when(store.fetch("churn", "1")).thenReturn(bundle("churn", "1"));
        ScorerCache cache = cache(60, 4);

        Scorer first = cache.scorer("churn", "1");
        Scorer second = cache.scorer("churn", "1");

        assertThat(second).isSameAs(first);
        assertThat(loaded).hasSize(1);
    }

    @Test
    void metadata_doesNotLoadThePipeline() {
        when(store.fetch("churn", "1")).thenReturn(bundle("churn", "1"));

        assertThat(cache(60, 4).metadata("churn", "1").version()).isEqualTo("1");
        assertThat(loaded).isEmpty();
    }

    @Test
    void scorer_beyondCapacity_dropsTheLeastRecentlyUsed() {
        for (String v : new String[] {"1", "2", "3"}) {
            when(store.fetch("churn", v)).thenReturn(bundle("churn", v));
        }
        ScorerCache cache = cache(60, 2);
        cache.scorer("churn", "1");
        cache.scorer("churn", "2");
        cache.scorer("churn", "1");

        cache.scorer("churn", "3");
        cache.scorer("churn", "1");
        cache.scorer("churn", "2");

        assertThat(loaded).extracting(b -> b.metadata().version()).containsExactly("1", "2", "3", "2");
    }
}
