package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The starter's breaker meters and probe over a JDBC store on a real PostgreSQL (our own embedded
 * server) that is stopped and started again, for both outage policies.
 */
class BreakerOnRealStoreOutageTest {

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"fail-closed", "fail-open"})
  void aStoppedServerOpensTheBreakerVisiblyAndKeysWorkAfterRecovery(String policy)
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("pg"));
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    int port = pg.getPort();
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
    hc.setConnectionTimeout(500);
    hc.setInitializationFailTimeout(-1);
    HikariDataSource ds = new HikariDataSource(hc);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try {
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  IdempotencyAutoConfiguration.class, IdempotencyBreakerAutoConfiguration.class))
          .withBean(DataSource.class, () -> ds)
          .withPropertyValues(
              "reliability.idempotency.store=jdbc",
              "reliability.idempotency.jdbc.initialize-schema=true",
              "reliability.idempotency.jdbc.table-name=brk_"
                  + UUID.randomUUID().toString().substring(0, 8),
              "reliability.idempotency.store-failure-mode=" + policy)
          .run(
              ctx -> {
                Idempotency idem = ctx.getBean(Idempotency.class);
                for (MeterBinder b : ctx.getBeansOfType(MeterBinder.class).values()) {
                  b.bindTo(meters);
                }
                ProbeRegistration probe =
                    ctx.getBean("reliabilityIdempotencyBreakerProbe", ProbeRegistration.class);
                assertThat(probe.weight()).isEqualTo(ProbeWeight.DEGRADING);
                AtomicInteger runs = new AtomicInteger();
                IdempotencyKey before = IdempotencyKey.of("t", "pay", "before");
                assertThat(run(idem, before, runs).status())
                    .isEqualTo(IdempotencyResult.Status.STORED);
                assertThat(check(probe)).isEqualTo(HealthStatus.PASS);
                assertThat(gauge(meters, "closed")).isEqualTo(1.0);

                pg.close();
                int outageRuns = 0;
                for (int i = 0; i < 30; i++) {
                  IdempotencyKey k = IdempotencyKey.of("t", "pay", "outage-" + i);
                  if (policy.equals("fail-closed")) {
                    assertThatThrownBy(() -> run(idem, k, runs))
                        .isInstanceOf(IdempotencyStoreUnavailableException.class);
                  } else {
                    assertThat(run(idem, k, runs).status())
                        .isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
                    outageRuns++;
                  }
                }
                assertThat(runs).hasValue(1 + outageRuns);
                CircuitBreaker breaker = idem.getCircuitBreaker();
                assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
                assertThat(check(probe)).isEqualTo(HealthStatus.WARN);
                assertThat(gauge(meters, "open")).isEqualTo(1.0);
                assertThat(gauge(meters, "closed")).isEqualTo(0.0);
                assertThat(calls(meters, "failure")).isGreaterThanOrEqualTo(5);
                assertThat(calls(meters, "not_permitted")).isGreaterThan(0);

                EmbeddedPostgres again =
                    EmbeddedPostgres.builder()
                        .setDataDirectory(data)
                        .setCleanDataDirectory(false)
                        .setPort(port)
                        .start();
                try {
                  // after the breaker's open wait, calls go through again
                  IdempotencyKey after = IdempotencyKey.of("t", "pay", "after");
                  Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
                  IdempotencyResult<StoredOutcome> r = null;
                  while (r == null) {
                    try {
                      IdempotencyResult<StoredOutcome> attempt = run(idem, after, runs);
                      if (attempt.status() != IdempotencyResult.Status.NOT_DEDUPLICATED) {
                        r = attempt;
                      }
                    } catch (IdempotencyStoreUnavailableException e) {
                      // still open
                    }
                    if (r == null) {
                      assertThat(Instant.now()).isBefore(deadline);
                      Thread.sleep(100);
                    }
                  }
                  assertThat(r.status()).isEqualTo(IdempotencyResult.Status.STORED);
                  int runsNow = runs.get();
                  assertThat(run(idem, after, runs).status())
                      .isEqualTo(IdempotencyResult.Status.REPLAYED);
                  assertThat(run(idem, before, runs).status())
                      .as("the completion from before the outage is not lost")
                      .isEqualTo(IdempotencyResult.Status.REPLAYED);
                  assertThat(runs).hasValue(runsNow);
                  assertThat(breaker.getState())
                      .isIn(CircuitBreaker.State.CLOSED, CircuitBreaker.State.HALF_OPEN);
                  assertThat(calls(meters, "success")).isGreaterThanOrEqualTo(2);
                } finally {
                  again.close();
                }
              });
    } finally {
      ds.close();
    }
  }

  /**
   * A table locked by another transaction past the store-call timeout, then every store connection
   * terminated by the server: each call follows the outcome policy (fail-closed: an exception,
   * fail-open: the action runs undeduplicated), no key runs twice once stored, and keys work again.
   */
  @ParameterizedTest
  @ValueSource(strings = {"fail-closed", "fail-open"})
  void aLockedTableAndTerminatedConnectionsFollowTheOutagePolicy(String policy) throws Exception {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
    String table = "brk_" + UUID.randomUUID().toString().substring(0, 8);
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
    hc.setConnectionTimeout(1000);
    HikariDataSource ds = new HikariDataSource(hc);
    try (java.sql.Connection locker = pg.getPostgresDatabase().getConnection()) {
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class))
          .withBean(DataSource.class, () -> ds)
          .withPropertyValues(
              "reliability.idempotency.store=jdbc",
              "reliability.idempotency.jdbc.initialize-schema=true",
              "reliability.idempotency.jdbc.table-name=" + table,
              "reliability.idempotency.store-call-timeout=500ms",
              "reliability.idempotency.store-failure-mode=" + policy)
          .run(
              ctx -> {
                Idempotency idem = ctx.getBean(Idempotency.class);
                AtomicInteger runs = new AtomicInteger();
                IdempotencyKey before = IdempotencyKey.of("t", "pay", "before");
                assertThat(run(idem, before, runs).status())
                    .isEqualTo(IdempotencyResult.Status.STORED);

                locker.setAutoCommit(false);
                try (java.sql.Statement st = locker.createStatement()) {
                  st.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
                }
                IdempotencyKey locked = IdempotencyKey.of("t", "pay", "locked");
                if (policy.equals("fail-closed")) {
                  assertThatThrownBy(() -> run(idem, locked, runs))
                      .isInstanceOf(IdempotencyStoreUnavailableException.class);
                  assertThat(runs).hasValue(1);
                } else {
                  assertThat(run(idem, locked, runs).status())
                      .isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
                  assertThat(runs).hasValue(2);
                }
                locker.rollback();
                locker.setAutoCommit(true);

                try (java.sql.Statement st = locker.createStatement()) {
                  st.execute(
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          + " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
                }
                // Every pooled connection is dead: calls fail (each per the policy, and enough of
                // them open the breaker) until the pool has replaced them and the breaker lets
                // calls through again.
                int stored = 0;
                Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
                for (int i = 0; stored < 3; i++) {
                  assertThat(Instant.now()).as("keys work again in time").isBefore(deadline);
                  IdempotencyKey k = IdempotencyKey.of("t", "pay", "after-" + i);
                  IdempotencyResult<StoredOutcome> r;
                  try {
                    r = run(idem, k, runs);
                  } catch (IdempotencyStoreUnavailableException e) {
                    assertThat(policy).isEqualTo("fail-closed");
                    Thread.sleep(100);
                    continue;
                  }
                  if (r.status() == IdempotencyResult.Status.STORED) {
                    stored++;
                    int runsNow = runs.get();
                    assertThat(run(idem, k, runs).status())
                        .isEqualTo(IdempotencyResult.Status.REPLAYED);
                    assertThat(runs).hasValue(runsNow);
                  } else {
                    assertThat(policy).isEqualTo("fail-open");
                    assertThat(r.status()).isEqualTo(IdempotencyResult.Status.NOT_DEDUPLICATED);
                    Thread.sleep(100);
                  }
                }
                assertThat(stored)
                    .as("keys work again after the terminated connections")
                    .isEqualTo(3);
                assertThat(run(idem, before, runs).status())
                    .as("the completion from before is not lost")
                    .isEqualTo(IdempotencyResult.Status.REPLAYED);
              });
    } finally {
      ds.close();
      pg.close();
    }
  }

  private static IdempotencyResult<StoredOutcome> run(
      Idempotency idem, IdempotencyKey key, AtomicInteger runs) {
    return idem.execute(
        key,
        RequestFingerprint.sha256("p"),
        () -> StoredOutcome.ok("run-" + runs.incrementAndGet()));
  }

  private static HealthStatus check(ProbeRegistration probe) throws Exception {
    return probe
        .probe()
        .check(new ProbeContext(probe.name(), Instant.now(), Duration.ofSeconds(1)))
        .status();
  }

  private static double gauge(MeterRegistry meters, String state) {
    return meters
        .get(IdempotencyBreakerAutoConfiguration.STATE)
        .tag("state", state)
        .gauge()
        .value();
  }

  private static double calls(MeterRegistry meters, String outcome) {
    return meters
        .get(IdempotencyBreakerAutoConfiguration.CALLS)
        .tag("outcome", outcome)
        .counter()
        .count();
  }
}
