package io.github.reliability4j.spring.observation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.spring.idempotency.IdempotencyAutoConfiguration;
import io.github.reliability4j.spring.idempotency.IdempotencyBreakerAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * An application without Micrometer's core (no Actuator) starts: the auto-configurations that
 * mention Micrometer types keep them out of the classes Spring introspects without it (both
 * failures were found by {@code .ci/release-dry-run}'s application).
 */
class WithoutMicrometerTest {

  @Test
  void theIdempotencyEngineStartsWithoutMicrometerCore() {
    new ApplicationContextRunner()
        .withClassLoader(new FilteredClassLoader(MeterRegistry.class.getPackageName()))
        .withConfiguration(
            AutoConfigurations.of(
                IdempotencyAutoConfiguration.class,
                IdempotencyBreakerAutoConfiguration.class,
                ReliabilityObservationAutoConfiguration.class))
        .withPropertyValues("reliability.idempotency.store=memory")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).hasSingleBean(Idempotency.class);
              assertThat(ctx).doesNotHaveBean(ReliabilityObservationAutoConfiguration.class);
            });
  }
}
