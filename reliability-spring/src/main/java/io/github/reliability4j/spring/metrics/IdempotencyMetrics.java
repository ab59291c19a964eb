package io.github.reliability4j.spring.metrics;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;

/**
 * Records idempotency events as Micrometer meters. Meter names (all tagged {@code method}, {@code
 * uri} and {@code operation}, see {@link #operationTags}):
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
                        .description(
                            "Idempotency store claim latency (including waiting under WAIT)")
                        .tags(operationTags(operation))
                        .register(registry)
                        .record(d));
      }
      case FAIL_OPEN -> counter(REQUESTS, operation, "result", result).increment();
      case COMPLETED, RELEASED, OUTCOME_TOO_LARGE, LEASE_LOST ->
          counter(EXECUTIONS, operation, "result", result).increment();
      case STORE_ERROR ->
          counter(STORE_ERRORS, operation, "call", storeCall(event.getDetail())).increment();
    }
  }

  /** The engine's store-error details start with the SPI call ("claim failed"). */
  static String storeCall(String detail) {
    if (detail == null || detail.isEmpty()) {
      return "other";
    }
    int space = detail.indexOf(' ');
    String call = space < 0 ? detail : detail.substring(0, space);
    return java.util.Set.of("claim", "complete", "release", "renew", "find").contains(call)
        ? call
        : "other";
  }

  private static final java.util.Map<String, String[]> DESCRIPTIONS =
      java.util.Map.of(
          REQUESTS,
          new String[] {"Idempotent requests by claim result", "requests"},
          EXECUTIONS,
          new String[] {"Executions of idempotent actions by how they ended", "executions"},
          STORE_ERRORS,
          new String[] {"Failed idempotency store calls by SPI call", "errors"});

  private Counter counter(String name, String operation, String tag, String value) {
    String[] d = DESCRIPTIONS.get(name);
    return Counter.builder(name)
        .description(d[0])
        .baseUnit(d[1])
        .tags(operationTags(operation))
        .tag(tag, value)
        .register(registry);
  }

  /**
   * One tag per concept, as Spring's HTTP meters: an HTTP operation ({@code "POST /payments"}, as
   * the web filter names it) becomes {@code method=POST}, {@code uri=/payments}, {@code
   * operation=http}; any other operation (a message listener, plain Java) keeps its name in {@code
   * operation}, with {@code method=NONE} and {@code uri=NONE}. Every meter carries all three keys,
   * as Prometheus requires one key set per meter name.
   */
  public static io.micrometer.core.instrument.Tags operationTags(String operation) {
    io.github.reliability4j.spring.internal.OperationName n =
        io.github.reliability4j.spring.internal.OperationName.of(operation);
    return io.micrometer.core.instrument.Tags.of(
        "method", n.method(), "uri", n.uri(), "operation", n.operation());
  }
}
