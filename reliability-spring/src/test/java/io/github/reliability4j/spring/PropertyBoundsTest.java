package io.github.reliability4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.spring.health.HealthAutoConfiguration;
import io.github.reliability4j.spring.health.HealthProperties;
import io.github.reliability4j.spring.idempotency.IdempotencyAutoConfiguration;
import io.github.reliability4j.spring.idempotency.IdempotencyProperties;
import io.github.reliability4j.spring.messaging.IdempotentListener;
import io.github.reliability4j.spring.messaging.MessagingAutoConfiguration;
import io.github.reliability4j.spring.messaging.MessagingHealthAutoConfiguration;
import io.github.reliability4j.spring.retention.RetentionAutoConfiguration;
import io.github.reliability4j.spring.routing.RoutingProperties;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * Every validated {@code reliability.*} property at its documented bounds, through a real context:
 * the value just inside starts, the value just outside fails the start with a report naming the
 * property. Settings owned by a core or JDBC builder are checked by that builder, so these bounds
 * are the builders' bounds (e.g. {@code max-key-length} 1..1024 is {@code IdempotencyKey}'s).
 *
 * <p>Bounds whose outcome is an HTTP answer rather than a start-up error are asserted over a real
 * server elsewhere: a key of {@code max-key-length} characters runs and one more is 400
 * problem+json ({@code KeyErrorsOverHttpTest}); a body over {@code max-body-size} is 413 ({@code
 * IdempotentEndpointTest}). {@code reliability.idempotency.jdbc.data-source} is tested in {@code
 * StoreDataSourceTest}, {@code reliability.idempotency.redis.*} in {@code
 * RedisIdempotencyAutoConfigurationTest}.
 *
 * <p>{@code reliability.health.pool.*} is checked by {@code HikariPoolProbe}'s builder, here in a
 * context with a real HikariCP pool on embedded PostgreSQL (the inside value builds the pool probe
 * of that pool). Settings whose builder exists only with its component are checked where that
 * builder runs: {@code reliability.messaging.health.*} by the broker probes' and {@code
 * ProbeRegistration}'s builders, in a context with a Kafka admin and a RabbitMQ connection factory
 * (neither connects: the probes are built, not run); {@code
 * reliability.messaging.idempotency.max-key-length} and the per-listener {@code
 * reliability.messaging.idempotency.listeners.<name>.wait-timeout} by {@code IdempotencyConfig}'s
 * builder, in a context with one {@code @IdempotentListener} of that name. A name that matches no
 * listener fails start-up naming it ({@code MessagingAutoConfigurationTest}, {@code
 * RabbitIdempotentListenerTest}).
 */
@ReplicatedPostgres(replicas = 0)
public class PropertyBoundsTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties({
    IdempotencyProperties.class,
    HealthProperties.class,
    RoutingProperties.class
  })
  static class Bound {}

  final ApplicationContextRunner binding =
      new ApplicationContextRunner().withUserConfiguration(Bound.class);

  static final String NAME48 = "t".repeat(48);
  static final String SECRET32 = "s".repeat(32);

  static Stream<Arguments> boundProperties() {
    return Stream.of(
        // reliability.idempotency.* (core IdempotencyConfig / Idempotency / JDBC store config)
        row("reliability.idempotency.max-key-length", "1", "0"),
        row("reliability.idempotency.max-key-length", "1024", "1025"),
        row("reliability.idempotency.retention", "1ms", "0s"),
        row("reliability.idempotency.lease-duration", "1ms", "0s"),
        row("reliability.idempotency.wait-timeout", "0s", "-1ms"),
        row("reliability.idempotency.retry-after", "1ms", "0s"),
        row("reliability.idempotency.max-body-size", "1B", "0B"),
        row("reliability.idempotency.store-call-timeout", "0s", "-1ms"),
        row("reliability.idempotency.max-stored-response-size", "0B", "-1B"),
        row("reliability.idempotency.header-name", "X-Key", "bad header"),
        row("reliability.idempotency.replay-headers", "Location", "Set-Cookie"),
        row("reliability.idempotency.jdbc.table-name", NAME48, NAME48 + "t"),
        row("reliability.idempotency.jdbc.table-name", "app." + NAME48, "app.orders;drop"),
        row("reliability.idempotency.jdbc.query-timeout", "0s", "-1s"),
        row("reliability.idempotency.jdbc.purge-interval", "0s", "-1s"),
        row("reliability.idempotency.client.max-attempts", "1", "0"),
        row("reliability.idempotency.client.max-attempts", "100", "101"),
        row("reliability.idempotency.client.wait", "0s", "-1ms"),
        // reliability.health.* (core HealthCheckerConfig for the schedule)
        row("reliability.health.interval", "1ms", "0s"),
        row("reliability.health.failing-interval", "1ms", "0s"),
        row("reliability.health.deadline", "1ms", "0s"),
        row("reliability.health.failure-threshold", "1", "0"),
        row("reliability.health.recovery-threshold", "1", "0"),
        row("reliability.health.drain-delay", "0s", "-1ms"),
        row("reliability.health.endpoint.cache-max-age", "0s", "-1s"),
        // reliability.routing.* (core RoutingPolicy for the policy settings)
        row("reliability.routing.max-causal-wait", "0s", "-1ms"),
        row("reliability.routing.max-replica-lag", "1ms", "0s"),
        row("reliability.routing.sample-interval", "1ms", "0s"),
        row("reliability.routing.token-secret", SECRET32, SECRET32.substring(1)),
        row("reliability.routing.session.header-name", "X-Consistency", "bad header"),
        row("reliability.routing.session.cookie.name", "C", "bad cookie"),
        row("reliability.routing.session.cookie.max-age", "1ms", "0s"),
        row("reliability.routing.session.cookie.same-site", "None", "Sometimes"),
        row("reliability.routing.replicas[0].url", "jdbc:h2:mem:r", "h2:mem:r"));
  }

  static Arguments row(String property, String inside, String outside) {
    return Arguments.of(property, inside, outside);
  }

  static String failureText(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c.getMessage()).append('\n');
    }
    return all.toString();
  }

  /** Boot names the property either as written or as prefix plus camel-case field path. */
  static void assertNames(String failure, String property) {
    int split = property.indexOf('.', "reliability.".length());
    String prefix = property.substring(0, split);
    String field = camel(property.substring(split + 1));
    assertThat(failure)
        .as(property)
        .satisfiesAnyOf(
            m -> assertThat(m).contains(property),
            m -> assertThat(m).contains(prefix).contains("field '" + field + "'"));
  }

  /** {@code a-b.c-d} as Boot's field path {@code aB.cD}. */
  public static String camel(String dashed) {
    StringBuilder sb = new StringBuilder();
    boolean upper = false;
    for (char c : dashed.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        sb.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return sb.toString();
  }

  /**
   * {@code property=inside} starts {@code runner}'s context (which then also passes {@code
   * started}), {@code property=outside} fails its start with a report naming the property.
   */
  static void assertBounds(
      ApplicationContextRunner runner,
      String property,
      String inside,
      String outside,
      ContextConsumer<AssertableApplicationContext> started) {
    runner
        .withPropertyValues(property + "=" + inside)
        .run(
            ctx -> {
              assertThat(ctx).as(property + "=" + inside).hasNotFailed();
              started.accept(ctx);
            });
    runner
        .withPropertyValues(property + "=" + outside)
        .run(
            ctx -> {
              assertThat(ctx).as(property + "=" + outside).hasFailed();
              assertNames(failureText(ctx.getStartupFailure()), property);
            });
  }

  @ParameterizedTest(name = "{0}: {1} starts, {2} fails")
  @MethodSource("boundProperties")
  void justInsideStartsAndJustOutsideFailsNamingTheProperty(
      String property, String inside, String outside) {
    assertBounds(binding, property, inside, outside, ctx -> {});
  }

  // ---- reliability.health.pool.* (HikariPoolProbe's builder; a context with a real pool) --------

  static Stream<Arguments> poolProperties() {
    return Stream.of(
        row("reliability.health.pool.warn-utilization", "1.0", "1.01"),
        row("reliability.health.pool.warn-utilization", "0.01", "0"),
        row("reliability.health.pool.warn-threads-awaiting", "1", "0"),
        row("reliability.health.pool.fail-waiting-for", "1ms", "0s"),
        row("reliability.health.pool.fail-acquire-timeouts", "1", "0"),
        row("reliability.health.pool.acquire-timeout-window", "1ms", "0s"));
  }

  ApplicationContextRunner withPool(PostgresCluster cluster) {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(HealthAutoConfiguration.class))
        .withBean(
            DataSource.class,
            () -> {
              HikariDataSource pool = new HikariDataSource();
              pool.setJdbcUrl(cluster.primary().jdbcUrl());
              pool.setUsername("postgres");
              pool.setPoolName("bounds-i19d");
              return pool;
            })
        .withPropertyValues("reliability.health.interval=1h");
  }

  @ParameterizedTest(name = "{0}: {1} starts, {2} fails")
  @MethodSource("poolProperties")
  void poolBoundsAreTheProbeBuildersOverARealPool(
      String property, String inside, String outside, PostgresCluster cluster) {
    assertBounds(
        withPool(cluster),
        property,
        inside,
        outside,
        ctx -> assertThat(ctx).hasSingleBean(HealthChecker.class));
  }

  // ---- reliability.messaging.* (validated by the probes', the registration's and core's builders)

  static Stream<Arguments> messagingProperties() {
    String kafka = "reliability.messaging.health.kafka.";
    String rabbit = "reliability.messaging.health.rabbit.";
    return Stream.of(
        row(kafka + "warn-lag", "1", "0"),
        row(kafka + "fail-lag", "1000", "999"),
        row(kafka + "fail-lag", "0", "-1"),
        row(kafka + "warn-partition-lag", "1", "-1"),
        row(kafka + "interval", "1ms", "0s"),
        row(kafka + "deadline", "1ms", "0s"),
        row(rabbit + "warn-depth", "1", "0"),
        row(rabbit + "fail-depth", "1000", "999"),
        row(rabbit + "fail-depth", "0", "-1"),
        row(rabbit + "min-consumers", "0", "-1"),
        row(rabbit + "interval", "1ms", "0s"),
        row(rabbit + "deadline", "1ms", "0s"),
        row("reliability.messaging.idempotency.max-key-length", "1", "0"),
        row("reliability.messaging.idempotency.max-key-length", "1024", "1025"),
        row("reliability.messaging.idempotency.key-header", "K", " "),
        row("reliability.messaging.idempotency.missing-key", "process", "drop"),
        row("reliability.messaging.idempotency.concurrency", "reject", "queue"),
        row("reliability.idempotency.wait-timeout", "0s", "-1ms"));
  }

  /** The per-listener overrides: the same bounds as the global settings they override. */
  static Stream<Arguments> listenerProperties() {
    String apply = "reliability.messaging.idempotency.listeners.apply.";
    return Stream.of(
        row(apply + "key-header", "K", " "),
        row(apply + "key-header", "Idempotency-Key", ""),
        row(apply + "missing-key", "process", "drop"),
        row(apply + "concurrency", "reject", "queue"),
        row(apply + "wait-timeout", "0s", "-1ms"),
        row(apply + "wait-timeout", "1ms", "-1ms"));
  }

  /** A listener named {@code apply}, so that {@code listeners.apply.*} names a listener. */
  public static class ApplyListener {
    @IdempotentListener(operation = "apply")
    public void on(ConsumerRecord<String, String> record) {}
  }

  /** Broker clients that are never used: building the probes needs them, running them is not. */
  @Configuration(proxyBeanMethods = false)
  static class Brokers {
    @Bean
    KafkaAdmin kafkaAdmin() {
      return new KafkaAdmin(Map.of("bootstrap.servers", "127.0.0.1:9"));
    }

    @Bean(destroyMethod = "destroy")
    CachingConnectionFactory rabbitConnectionFactory() {
      return new CachingConnectionFactory("127.0.0.1", 9);
    }
  }

  final ApplicationContextRunner messaging =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  IdempotencyAutoConfiguration.class,
                  MessagingAutoConfiguration.class,
                  MessagingHealthAutoConfiguration.class))
          .withUserConfiguration(Brokers.class)
          .withPropertyValues("reliability.idempotency.store=memory");

  @ParameterizedTest(name = "{0}: {1} starts, {2} fails")
  @MethodSource("messagingProperties")
  void messagingBoundsAreTheBuildersBounds(String property, String inside, String outside) {
    assertBounds(messaging, property, inside, outside, ctx -> {});
  }

  @ParameterizedTest(name = "{0}: {1} starts, {2} fails")
  @MethodSource("listenerProperties")
  void perListenerBoundsAreTheGlobalBounds(String property, String inside, String outside) {
    assertBounds(
        messaging.withBean(ApplyListener.class),
        property,
        inside,
        outside,
        ctx -> assertThat(ctx).hasSingleBean(ApplyListener.class));
  }

  // ---- reliability.retention.policies[*] (validated by building core RetentionPolicy) --------

  static final DataSource RETENTION_DB =
      new DriverManagerDataSource("jdbc:h2:mem:property_bounds;DB_CLOSE_DELAY=-1");

  @BeforeAll
  static void retentionTable() throws Exception {
    try (Connection c = RETENTION_DB.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS bounds_orders (id BIGINT PRIMARY KEY, created_at TIMESTAMP)");
      s.execute("CREATE INDEX IF NOT EXISTS bounds_orders_age ON bounds_orders (created_at)");
    }
  }

  final ApplicationContextRunner retention =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(RetentionAutoConfiguration.class))
          .withBean(DataSource.class, () -> RETENTION_DB)
          .withPropertyValues(
              "reliability.retention.policies[0].table=bounds_orders",
              "reliability.retention.policies[0].age-column=created_at",
              "reliability.retention.policies[0].max-age=30d");

  static Stream<Arguments> retentionProperties() {
    return Stream.of(
        row("max-age", "1ms", "0s"),
        row("name", "n".repeat(100), "n".repeat(101)),
        row("min-batch-size", "1", "0"),
        row("initial-batch-size", "1", "0"),
        row("pause-between-batches", "0s", "-1ms"),
        row("max-replica-lag", "1ms", "0s"));
  }

  @ParameterizedTest(name = "retention {0}: {1} starts, {2} fails")
  @MethodSource("retentionProperties")
  void retentionPolicyBounds(String setting, String inside, String outside) {
    String property = "reliability.retention.policies[0]." + setting;
    String[] lower =
        setting.endsWith("batch-size")
            ? new String[] {"reliability.retention.policies[0].min-batch-size=" + inside}
            : new String[0];
    retention
        .withPropertyValues(lower)
        .withPropertyValues(property + "=" + inside)
        .run(ctx -> assertThat(ctx).as(property + "=" + inside).hasNotFailed());
    retention
        .withPropertyValues(property + "=" + outside)
        .run(
            ctx -> {
              assertThat(ctx).as(property + "=" + outside).hasFailed();
              assertThat(failureText(ctx.getStartupFailure()))
                  .as(property)
                  .contains("reliability.retention.policies[0]")
                  .contains(camel(setting));
            });
  }
}
