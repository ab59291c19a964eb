package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.redis.health.RedisStoreProbe;
import io.github.reliability4j.redis.idempotency.RedisIdempotencyStore;
import io.github.reliability4j.redis.idempotency.RedisIdempotencyStoreConfig;
import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import io.lettuce.core.AbstractRedisClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * With {@code reliability.idempotency.store=redis}: the {@link RedisIdempotencyStore} on the
 * application's Lettuce client (an {@link AbstractRedisClient} bean, else the native client of its
 * {@link LettuceConnectionFactory}, so Spring Boot's {@code spring.data.redis.*} settings, Sentinel
 * and Cluster included, apply). The store opens one connection of its own with a binary codec and
 * closes it on shutdown. Also registers a {@code DEGRADING} readiness probe {@code
 * idempotency-redis} ({@link RedisStoreProbe}: PING latency, p99 of store calls, breaker state).
 * Every bean backs off when the application defines its own.
 */
@AutoConfiguration(
    before = IdempotencyAutoConfiguration.class,
    afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnClass({RedisIdempotencyStore.class, LettuceConnectionFactory.class})
@ConditionalOnProperty(prefix = "reliability.idempotency", name = "store", havingValue = "redis")
@EnableConfigurationProperties({RedisIdempotencyProperties.class, IdempotencyProperties.class})
public class RedisIdempotencyAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(IdempotencyStore.class)
  RedisIdempotencyStore reliabilityIdempotencyStore(
      RedisIdempotencyProperties properties,
      ObjectProvider<AbstractRedisClient> clients,
      ObjectProvider<LettuceConnectionFactory> factories) {
    AbstractRedisClient client = clients.getIfUnique();
    if (client == null) {
      LettuceConnectionFactory factory = factories.getIfUnique();
      if (factory == null) {
        throw new InvalidReliabilityPropertyException(
            "reliability.idempotency.store",
            "redis",
            "requires a Lettuce client: a LettuceConnectionFactory (spring-boot-data-redis) or an"
                + " AbstractRedisClient bean");
      }
      client = factory.getRequiredNativeClient();
    }
    RedisIdempotencyStoreConfig.Builder config =
        RedisIdempotencyStoreConfig.custom()
            .keyPrefix(properties.getKeyPrefix())
            .commandTimeout(properties.getCommandTimeout())
            .maxOutcomeBytes(Math.toIntExact(properties.getMaxOutcomeSize().toBytes()));
    if (properties.getWaitReplicas() > 0) {
      config.waitForReplicas(properties.getWaitReplicas(), properties.getWaitTimeout());
    }
    return RedisIdempotencyStore.create(client, config.build());
  }

  @Bean
  @ConditionalOnBean(RedisIdempotencyStore.class)
  @ConditionalOnProperty(
      prefix = "reliability.idempotency.redis",
      name = "probe-enabled",
      havingValue = "true",
      matchIfMissing = true)
  @ConditionalOnMissingBean(name = "reliabilityIdempotencyRedisProbe")
  ProbeRegistration reliabilityIdempotencyRedisProbe(
      RedisIdempotencyStore store, ObjectProvider<Idempotency> idempotency) {
    return ProbeRegistration.builder(
            "idempotency-redis",
            context -> {
              RedisStoreProbe.Builder probe = RedisStoreProbe.builder(store);
              Idempotency engine = idempotency.getIfAvailable();
              if (engine != null) {
                probe.circuitBreaker(engine.getCircuitBreaker());
              }
              return probe.build().check(context);
            })
        .weight(ProbeWeight.DEGRADING)
        .build();
  }
}
