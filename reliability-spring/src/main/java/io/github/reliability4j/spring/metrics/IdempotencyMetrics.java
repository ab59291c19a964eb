package io.github.reliability4j.spring.metrics;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;

/**
 * Records idempotency events as Micrometer meters. Meter names (all tagged {@code operation}):
 *
 * <ul>
 *   <li>{@code reliability.idempotency.requests} (counter), tag {@code result}: {@code claimed},
 *       {@code takeover}, {@code replayed}, {@code conflict}, {@code mismatch}, {@code fail_open} —
 *       what a request with a key found;
 *   <li>{@code reliability.idempotency.executions} (counter), tag {@code result}: {@code
 *       completed}, {@code released}, {@code outcome_too_large}, {@code lease_lost} — how an
 *       execution ended;
 *   <li>{@code reliability.idempotency.store.latency} (timer): duration of the claim store call
 *       (including waiting under {@code WAIT});
 *   <li>{@code reliability.idempotency.store.errors} (counter), tag {@code call}: failed store
 *       calls.
 * </ul>
 *
 * Thread-safe; called synchronously by the engine or the web filter.
 */
public final class IdempotencyMetrics implements IdempotencyEventListener {

  public static final String REQUESTS = "reliability.idempotency.requests";
  public static final String EXECUTIONS = "reliability.idempotency.executions";
  public static final String STORE_LATENCY = "reliability.idempotency.store.latency";
  public static final String STORE_ERRORS = "reliability.idempotency.store.errors";

  private final MeterRegistry registry;

  public IdempotencyMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onEvent(IdempotencyEvent event) {
    String operation = event.getOperation();
    String result = event.getType().name().toLowerCase(Locale.ROOT);
    switch (event.getType()) {
      case CLAIMED, TAKEOVER, REPLAYED, CONFLICT, MISMATCH -> {
        counter(REQUESTS, operation, "result", result).increment();
        event
            .getDuration()
            .ifPresent(
                d ->
                    Timer.builder(STORE_LATENCY)
                        .description("Idempotency store claim latency")
                        .tag("operation", operation)
                        .register(registry)
                        .record(d));
      }
      case FAIL_OPEN -> counter(REQUESTS, operation, "result", result).increment();
      case COMPLETED, RELEASED, OUTCOME_TOO_LARGE, LEASE_LOST ->
          counter(EXECUTIONS, operation, "result", result).increment();
      case STORE_ERROR ->
          counter(
                  STORE_ERRORS,
                  operation,
                  "call",
                  java.util.Set.of("claim", "complete", "release", "renew", "find")
                          .contains(event.getDetail())
                      ? event.getDetail()
                      : "other")
              .increment();
    }
  }

  private Counter counter(String name, String operation, String tag, String value) {
    return Counter.builder(name).tag("operation", operation).tag(tag, value).register(registry);
  }
}
