package io.github.reliability4j.core.health.probes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** The histogram's percentile against the exact percentile of a sorted list (the model). */
class LatencyRecorderProperties {

  @Property(tries = 300)
  void percentileIsAnUpperBoundWithinNinePercent(
      @ForAll @Size(min = 1, max = 300) List<@LongRange(min = 2, max = 10_000_000_000L) Long> nanos,
      @ForAll @DoubleRange(min = 0.01, max = 1.0) double p) {
    LatencyRecorder recorder = LatencyRecorder.create(Duration.ofMinutes(1), 4, () -> 0L);
    nanos.forEach(recorder::recordNanos);
    long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    long exact = sorted[(int) Math.ceil(p * sorted.length) - 1];
    long reported = recorder.summary().percentile(p).toNanos();
    assertThat(reported).isGreaterThanOrEqualTo(exact);
    assertThat((double) reported).isLessThanOrEqualTo(exact * 1.0906 + 1);
    assertThat(recorder.summary().count()).isEqualTo(nanos.size());
  }
}
