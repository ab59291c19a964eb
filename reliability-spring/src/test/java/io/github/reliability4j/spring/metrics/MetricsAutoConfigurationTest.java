package io.github.reliability4j.spring.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class MetricsAutoConfigurationTest {

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(ReliabilityMetricsAutoConfiguration.class))
          .withBean(MeterRegistry.class, SimpleMeterRegistry::new);

  @Test
  void bindersRegisteredWithARegistry() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasSingleBean(IdempotencyMetrics.class);
          assertThat(ctx).hasSingleBean(RoutingMetrics.class);
        });
  }

  @Test
  void offWithoutMicrometerOrRegistryOrWhenDisabled() {
    runner
        .withClassLoader(new FilteredClassLoader(MeterRegistry.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(IdempotencyMetrics.class));
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ReliabilityMetricsAutoConfiguration.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(IdempotencyMetrics.class));
    runner
        .withPropertyValues("reliability.metrics.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(IdempotencyMetrics.class));
  }

  @Test
  void backsOffForUserBinder() {
    IdempotencyMetrics mine = new IdempotencyMetrics(new SimpleMeterRegistry());
    runner
        .withBean(IdempotencyMetrics.class, () -> mine)
        .run(ctx -> assertThat(ctx.getBean(IdempotencyMetrics.class)).isSameAs(mine));
  }

  @Test
  void idempotencyEventsBecomeMetersUnderDocumentedNames() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    IdempotencyMetrics metrics = new IdempotencyMetrics(registry);
    IdempotencyKey key = IdempotencyKey.of("s", "pay", "k");
    Instant now = Instant.now();
    metrics.onEvent(
        new IdempotencyEvent(
            IdempotencyEvent.Type.CLAIMED, key, now, Duration.ofMillis(3), "", null));
    metrics.onEvent(
        new IdempotencyEvent(
            IdempotencyEvent.Type.REPLAYED, key, now, Duration.ofMillis(1), "", null));
    metrics.onEvent(
        new IdempotencyEvent(IdempotencyEvent.Type.COMPLETED, key, now, null, "", null));
    metrics.onEvent(
        new IdempotencyEvent(
            IdempotencyEvent.Type.STORE_ERROR, key, now, null, "some free text", null));

    assertThat(
            registry
                .get(IdempotencyMetrics.REQUESTS)
                .tag("operation", "pay")
                .tag("method", "NONE")
                .tag("uri", "NONE")
                .tag("result", "claimed")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry.get(IdempotencyMetrics.REQUESTS).tag("result", "replayed").counter().count())
        .isEqualTo(1);
    assertThat(
            registry
                .get(IdempotencyMetrics.EXECUTIONS)
                .tag("result", "completed")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get(IdempotencyMetrics.STORE_LATENCY).timer().count()).isEqualTo(2);
    assertThat(registry.get(IdempotencyMetrics.STORE_ERRORS).tag("call", "other").counter().count())
        .isEqualTo(1);
  }
}
