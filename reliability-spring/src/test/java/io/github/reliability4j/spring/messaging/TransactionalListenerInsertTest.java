package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.test.services.Services;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.annotation.AnnotationTransactionAttributeSource;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.interceptor.TransactionInterceptor;

/**
 * The transactional inbox's one-statement path for new keys ({@code @IdempotentListener} inside a
 * {@code @Transactional} listener on the machine's PostgreSQL 15, interceptors installed by hand):
 * the key is invisible to everyone until the listener's transaction commits, an in-flight duplicate
 * waits for that transaction and is then skipped, a failing method leaves the key free (rolled
 * back, or deleted when the transaction commits anyway), poison is completed as failed after the
 * rollback, a changed payload is a mismatch, and a store failure fails the message closed with
 * nothing written.
 */
class TransactionalListenerInsertTest {

  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final String table = "r4j_txl_" + suffix;
  private final String keysTable = "r4j_txl_keys_" + suffix;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private HikariDataSource dataSource;
  private JdbcIdempotencyStore store;
  private Ledger target;

  static class PoisonException extends RuntimeException {
    PoisonException(String m) {
      super(m);
    }
  }

  /** A listener as a user writes it: one insert per message in the listener's transaction. */
  public static class Ledger {
    final List<String> calls = new CopyOnWriteArrayList<>();
    JdbcTemplate jdbc;
    String table;
    volatile RuntimeException failure;
    volatile CountDownLatch entered;
    volatile CountDownLatch release;

    @IdempotentListener(operation = "apply", scope = "svc", poison = PoisonException.class)
    @Transactional
    public void apply(ConsumerRecord<String, String> record) throws InterruptedException {
      write(record);
    }

    @IdempotentListener(operation = "apply", scope = "svc")
    @Transactional(noRollbackFor = IllegalStateException.class)
    public void applyCommittingOnFailure(ConsumerRecord<String, String> record)
        throws InterruptedException {
      write(record);
    }

    private void write(ConsumerRecord<String, String> record) throws InterruptedException {
      calls.add(record.value());
      jdbc.update("insert into " + table + " (body) values (?)", record.value());
      CountDownLatch e = entered;
      if (e != null) {
        e.countDown();
        release.await(30, TimeUnit.SECONDS);
      }
      RuntimeException f = failure;
      if (f != null) {
        throw f;
      }
    }
  }

  @BeforeEach
  void setUp() {
    dataSource = new HikariDataSource();
    dataSource.setJdbcUrl(Services.postgresJdbcUrl());
    dataSource.setMaximumPoolSize(6);
    new JdbcTemplate(dataSource).execute("create table " + table + " (body text)");
    store =
        JdbcIdempotencyStore.create(
            dataSource,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(keysTable)
                .initializeSchema(true)
                .build());
  }

  @AfterEach
  void tearDown() {
    JdbcTemplate jdbc = new JdbcTemplate(dataSource);
    jdbc.execute("drop table if exists " + table);
    jdbc.execute("drop table if exists " + keysTable);
    jdbc.execute("drop table if exists " + keysTable + "_gone");
    dataSource.close();
  }

  private Ledger proxy(ConcurrencyMode mode) {
    MessagingProperties.Idempotency settings = new MessagingProperties.Idempotency();
    settings.setConcurrency(mode);
    IdempotentListenerInterceptor advice =
        IdempotentListenerInterceptor.builder(Idempotency.of(store))
            .transactionalStore(store, dataSource)
            .settings(settings)
            .meterRegistry(registry)
            .build();
    target = new Ledger();
    target.jdbc = new JdbcTemplate(dataSource);
    target.table = table;
    ProxyFactory factory = new ProxyFactory(target);
    factory.setProxyTargetClass(true);
    // The transaction outside, the deduplication inside it (as the auto-configuration orders them).
    factory.addAdvice(
        new TransactionInterceptor(
            new DataSourceTransactionManager(dataSource),
            new AnnotationTransactionAttributeSource()));
    factory.addAdvice(advice);
    return (Ledger) factory.getProxy();
  }

  private static ConsumerRecord<String, String> record(String key, String value) {
    ConsumerRecord<String, String> r = new ConsumerRecord<>("t", 0, 0, null, value);
    r.headers().add("Idempotency-Key", key.getBytes(StandardCharsets.UTF_8));
    return r;
  }

  private static IdempotencyKey key(String clientKey) {
    return IdempotencyKey.of("svc", "apply", clientKey);
  }

  private int rows() {
    return new JdbcTemplate(dataSource)
        .queryForObject("select count(*) from " + table, Integer.class);
  }

  private double count(String outcome) {
    var c =
        registry
            .find(ListenerMetrics.MESSAGES)
            .tag("listener", "apply")
            .tag("outcome", outcome)
            .counter();
    return c == null ? 0 : c.count();
  }

  /**
   * While the owner's transaction is open nobody sees the key; a duplicate delivered then waits for
   * the transaction (under REJECT too) and is skipped once it committed: one effect.
   */
  @ParameterizedTest
  @EnumSource(ConcurrencyMode.class)
  void inFlightDuplicateWaitsForTheTransactionThenIsSkipped(ConcurrencyMode mode) throws Exception {
    Ledger l = proxy(mode);
    target.entered = new CountDownLatch(1);
    target.release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> first = pool.submit(() -> deliver(l, "k1", "a"));
      assertThat(target.entered.await(30, TimeUnit.SECONDS)).isTrue();
      target.entered = null;
      assertThat(store.find(key("k1"))).as("invisible until the commit").isEmpty();
      Future<?> second = pool.submit(() -> deliver(l, "k1", "a"));
      awaitWaitingOnLock();
      assertThat(second.isDone()).isFalse();
      target.release.countDown();
      first.get(30, TimeUnit.SECONDS);
      second.get(30, TimeUnit.SECONDS);
    } finally {
      target.release.countDown();
      pool.shutdownNow();
    }
    assertThat(target.calls).containsExactly("a");
    assertThat(rows()).isEqualTo(1);
    assertThat(store.find(key("k1")).map(IdempotencyRecord::state)).contains(RecordState.COMPLETED);
    assertThat(count("processed")).isEqualTo(1);
    assertThat(count("duplicate")).isEqualTo(1);
  }

  @Test
  void aFailingMethodLeavesTheKeyFreeWhetherTheTransactionRollsBackOrCommits() throws Exception {
    Ledger l = proxy(ConcurrencyMode.WAIT);
    target.failure = new IllegalArgumentException("rolled back");
    assertThatThrownBy(() -> l.apply(record("k2", "a")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.find(key("k2"))).isEmpty();
    assertThat(rows()).isZero();

    target.failure = new IllegalStateException("committed anyway");
    assertThatThrownBy(() -> l.applyCommittingOnFailure(record("k3", "b")))
        .isInstanceOf(IllegalStateException.class);
    assertThat(rows()).as("the business write committed (noRollbackFor)").isEqualTo(1);
    assertThat(store.find(key("k3"))).as("but the key was deleted before the commit").isEmpty();

    target.failure = null;
    l.apply(record("k2", "a"));
    l.applyCommittingOnFailure(record("k3", "b"));
    assertThat(target.calls).containsExactly("a", "b", "a", "b");
    assertThat(count("failed")).isEqualTo(2);
    assertThat(count("processed")).isEqualTo(2);
  }

  @Test
  void poisonIsCompletedAsFailedAfterTheRollbackAndNotRunAgain() throws Exception {
    Ledger l = proxy(ConcurrencyMode.WAIT);
    target.failure = new PoisonException("cannot parse amount");
    assertThatThrownBy(() -> l.apply(record("p1", "x")))
        .isInstanceOf(MessageRejectedException.class)
        .satisfies(
            e ->
                assertThat(((MessageRejectedException) e).getReason())
                    .isEqualTo(MessageRejectedException.Reason.POISON));
    assertThat(rows()).isZero();
    Optional<IdempotencyRecord> poisoned = store.find(key("p1"));
    assertThat(poisoned.map(IdempotencyRecord::state)).contains(RecordState.COMPLETED);
    assertThat(poisoned.orElseThrow().outcome().status()).isEqualTo(422);
    target.failure = null;
    l.apply(record("p1", "x"));
    assertThat(target.calls).containsExactly("x");
    assertThat(count("poison")).isEqualTo(1);
    assertThat(count("duplicate")).isEqualTo(1);
  }

  @Test
  void aChangedPayloadAfterTheCommitIsAMismatch() throws Exception {
    Ledger l = proxy(ConcurrencyMode.WAIT);
    l.apply(record("m1", "first"));
    assertThatThrownBy(() -> l.apply(record("m1", "second")))
        .isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("MISMATCH");
    assertThat(target.calls).containsExactly("first");
    assertThat(count("mismatched")).isEqualTo(1);
  }

  @Test
  void aStoreFailureFailsClosedWithNothingWritten() throws Exception {
    Ledger l = proxy(ConcurrencyMode.WAIT);
    l.apply(record("s0", "before"));
    new JdbcTemplate(dataSource)
        .execute("alter table " + keysTable + " rename to " + keysTable + "_gone");
    assertThatThrownBy(() -> l.apply(record("s1", "during")))
        .isInstanceOf(IdempotencyStoreUnavailableException.class);
    assertThat(target.calls).containsExactly("before");
    assertThat(rows()).isEqualTo(1);
    assertThat(count("store_unavailable")).isEqualTo(1);
    new JdbcTemplate(dataSource)
        .execute("alter table " + keysTable + "_gone rename to " + keysTable);
    l.apply(record("s1", "during"));
    assertThat(rows()).isEqualTo(2);
  }

  private static void deliver(Ledger l, String key, String value) {
    try {
      l.apply(record(key, value));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void awaitWaitingOnLock() {
    KafkaIdempotentListenerTest.await(
        () ->
            new JdbcTemplate(dataSource)
                    .queryForObject(
                        "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                            + " and query like ?",
                        Integer.class,
                        "%" + keysTable + "%")
                > 0,
        "the duplicate waiting on the open transaction");
  }
}
