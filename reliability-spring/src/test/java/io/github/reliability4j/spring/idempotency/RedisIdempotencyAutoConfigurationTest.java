package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.OutcomeCodec;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.redis.idempotency.RedisIdempotencyStore;
import io.github.reliability4j.test.services.Services;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@code reliability.idempotency.store=redis} in a real context against the machine's Redis. */
class RedisIdempotencyAutoConfigurationTest {

  private final String prefix = "r4j-spring:" + UUID.randomUUID() + ":";
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataRedisAutoConfiguration.class,
                  RedisIdempotencyAutoConfiguration.class,
                  IdempotencyAutoConfiguration.class))
          .withPropertyValues(
              "spring.data.redis.host=127.0.0.1",
              "spring.data.redis.port=6379",
              "reliability.idempotency.store=redis",
              "reliability.idempotency.redis.key-prefix=" + prefix,
              "reliability.idempotency.redis.command-timeout=400ms");

  @BeforeAll
  static void redis() {
    Services.requireRedis();
  }

  @Test
  void storeRedisUsesTheApplicationsLettuceClientAndDeduplicates() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(IdempotencyStore.class))
              .isInstanceOf(RedisIdempotencyStore.class);
          RedisIdempotencyStore store = context.getBean(RedisIdempotencyStore.class);
          assertThat(store.config().getKeyPrefix()).isEqualTo(prefix);
          assertThat(store.config().getCommandTimeout()).isEqualTo(Duration.ofMillis(400));
          Idempotency idempotency = context.getBean(Idempotency.class);
          AtomicInteger runs = new AtomicInteger();
          IdempotencyKey key = IdempotencyKey.of("t", "op", UUID.randomUUID().toString());
          for (int i = 0; i < 3; i++) {
            IdempotencyResult<String> r =
                idempotency.execute(
                    key,
                    RequestFingerprint.sha256("x"),
                    OutcomeCodec.utf8(),
                    () -> "run-" + runs.incrementAndGet());
            assertThat(r.value()).isEqualTo("run-1");
          }
          assertThat(runs).hasValue(1);
          ProbeRegistration probe =
              context.getBean("reliabilityIdempotencyRedisProbe", ProbeRegistration.class);
          assertThat(
                  probe
                      .probe()
                      .check(
                          new ProbeContext(
                              "idempotency-redis", Instant.now(), Duration.ofSeconds(1)))
                      .details())
              .containsEntry("breakerState", "CLOSED");
        });
  }

  @Test
  void prefixWithBracesFailsStartUp() {
    runner
        .withPropertyValues("reliability.idempotency.redis.key-prefix=tag{x}:")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("keyPrefix must not contain '{' or '}'"));
  }

  @Test
  void storeRedisWithoutTheRedisClassesFailsStartUpWithAClearMessage() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                RedisIdempotencyAutoConfiguration.class, IdempotencyAutoConfiguration.class))
        .withClassLoader(new FilteredClassLoader(RedisIdempotencyStore.class))
        .withPropertyValues("reliability.idempotency.store=redis")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("reliability.idempotency.store")
                    .hasMessageContaining("spring-boot-data-redis"));
  }
}
