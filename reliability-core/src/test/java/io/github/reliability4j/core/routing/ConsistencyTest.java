package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsistencyTest {

  @Test
  void scopesNestAndRestore() {
    assertThat(Consistency.currentSession()).isEmpty();
    ConsistencySession outer = ConsistencySession.create();
    try (Consistency.Scope a = Consistency.session(outer)) {
      assertThat(Consistency.currentSession()).containsSame(outer);
      try (Consistency.Scope b = Consistency.session()) {
        assertThat(Consistency.currentSession()).isPresent().get().isNotSameAs(outer);
      }
      assertThat(Consistency.currentSession()).containsSame(outer);
    }
    assertThat(Consistency.currentSession()).isEmpty();
  }

  @Test
  void nestedOptionsInheritUnsetSettings() {
    try (Consistency.Scope a = Consistency.options(ReadPreference.REPLICA)) {
      try (Consistency.Scope b = Consistency.options(ConsistencyLevel.ANY)) {
        assertThat(Consistency.currentOptions().readPreference()).isEqualTo(ReadPreference.REPLICA);
        assertThat(Consistency.currentOptions().consistency()).isEqualTo(ConsistencyLevel.ANY);
      }
      assertThat(Consistency.currentOptions().consistency()).isNull();
    }
    assertThat(Consistency.currentOptions()).isEqualTo(RoutingOptions.none());
  }

  @Test
  void closingOutOfOrderIsAnError() {
    Consistency.Scope a = Consistency.session();
    Consistency.Scope b = Consistency.session();
    assertThatThrownBy(a::close)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("out of order");
    b.close();
    a.close();
    assertThat(Consistency.currentSession()).isEmpty();
  }

  @Test
  void boundedStalenessValidatesGranularity() {
    assertThat(ConsistencyLevel.boundedStaleness(Duration.ofMillis(1500)).toString())
        .isEqualTo("BOUNDED_STALENESS(1500ms)");
    assertThatThrownBy(() -> ConsistencyLevel.boundedStaleness(Duration.ofNanos(1_500_000_1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("millisecond granularity");
    assertThatThrownBy(() -> ConsistencyLevel.boundedStaleness(Duration.ofMillis(-1)))
        .hasMessage("maxStaleness must not be negative, but was PT-0.001S");
  }

  @Test
  void policyValidatesEagerly() {
    assertThatThrownBy(() -> RoutingPolicy.custom().maxReplicaLag(Duration.ZERO))
        .hasMessage("maxReplicaLag must be positive, but was PT0S");
    assertThatThrownBy(() -> RoutingPolicy.custom().readmitAfterSamples(0))
        .hasMessage("readmitAfterSamples must be at least 1, but was 0");
    assertThatThrownBy(
            () ->
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofSeconds(1))
                    .sampleExpiry(Duration.ofMillis(500))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sampleExpiry");
    RoutingPolicy p = RoutingPolicy.ofDefaults();
    assertThat(p.defaults().consistency()).isEqualTo(ConsistencyLevel.READ_YOUR_WRITES);
    assertThat(p.defaults().readPreference()).isEqualTo(ReadPreference.REPLICA_PREFERRED);
    assertThat(RoutingPolicy.from(p).build().sampleExpiry()).isEqualTo(p.sampleExpiry());
  }
}
