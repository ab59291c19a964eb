package io.github.reliability4j.spring.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** {@link ListenerMetrics} as Micrometer counters; loaded only when Micrometer is present. */
final class MicrometerListenerMetrics implements ListenerMetrics {

  private final MeterRegistry registry;

  MicrometerListenerMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void record(String listener, Outcome outcome) {
    record(listener, outcome, 1);
  }

  @Override
  public void record(String listener, Outcome outcome, int count) {
    if (count <= 0) {
      return;
    }
    Counter.builder(MESSAGES)
        .description("Messages seen by @IdempotentListener methods, by outcome")
        .tag("listener", listener)
        .tag("outcome", outcome.tag)
        .register(registry)
        .increment(count);
  }
}
