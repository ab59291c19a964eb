package io.github.reliability4j.core.routing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The allocation-free sample-expiry check against {@link Duration#between}. */
class ReplicaStateProperties {

  @Property(tries = 2000)
  void longerThanAgreesWithDurationBetween(
      @ForAll @LongRange(min = 1_700_000_000L, max = 1_700_000_010L) long fromSeconds,
      @ForAll @IntRange(min = 0, max = 999_999_999) int fromNanos,
      @ForAll @LongRange(min = -3, max = 12) long deltaSeconds,
      @ForAll @IntRange(min = 0, max = 999_999_999) int deltaNanos,
      @ForAll @LongRange(min = 0, max = 10) long limitSeconds,
      @ForAll @IntRange(min = 0, max = 999_999_999) int limitNanos) {
    Instant from = Instant.ofEpochSecond(fromSeconds, fromNanos);
    Instant to = from.plusSeconds(deltaSeconds).plusNanos(deltaNanos);
    Duration limit = Duration.ofSeconds(limitSeconds, limitNanos);
    assertThat(ReplicaState.longerThan(from, to, limit))
        .isEqualTo(Duration.between(from, to).compareTo(limit) > 0);
  }

  @Property(tries = 200)
  void longerThanAtTheBoundary(
      @ForAll @LongRange(min = 0, max = 10) long limitSeconds,
      @ForAll @IntRange(min = 0, max = 999_999_999) int limitNanos) {
    Instant from = Instant.parse("2026-01-01T00:00:00.5Z");
    Duration limit = Duration.ofSeconds(limitSeconds, limitNanos);
    assertThat(ReplicaState.longerThan(from, from.plus(limit), limit)).isFalse();
    assertThat(ReplicaState.longerThan(from, from.plus(limit).plusNanos(1), limit)).isTrue();
  }
}
