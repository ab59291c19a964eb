package io.github.reliability4j.redis.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.OutagePolicy;
import io.github.reliability4j.core.idempotency.OutcomeCodec;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.redis.health.RedisStoreProbe;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failures that need a Redis of this test's own (paused, slowed, flushed, restricted by ACL,
 * stopped): a redis-server started on a free port in a temporary directory.
 */
class RedisServerFailureTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(300);
  private RedisServer server;
  private RedisClient client;

  @BeforeEach
  void startServer() throws Exception {
    server = RedisServer.start();
    client = RedisClient.create(server.uri());
  }

  @AfterEach
  void stopServer() throws Exception {
    if (client != null) {
      client.shutdown();
    }
    if (server != null) {
      server.close();
    }
  }

  private RedisIdempotencyStore store() {
    return RedisIdempotencyStore.create(
        client, RedisIdempotencyStoreConfig.custom().commandTimeout(COMMAND_TIMEOUT).build());
  }

  private static IdempotencyKey key(String k) {
    return IdempotencyKey.of("scope", "op", k);
  }

  private static RequestFingerprint fp(String s) {
    return RequestFingerprint.sha256(s);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(20); // poll interval inside a deadline
    }
  }

  private static boolean answers(RedisIdempotencyStore store, long millis) {
    try {
      store.ping(Duration.ofMillis(millis));
      return true;
    } catch (IdempotencyStoreException e) {
      return false;
    }
  }

  private static ProbeResult probe(RedisStoreProbe probe) throws Exception {
    return probe.check(new ProbeContext("redis-store", Instant.now(), Duration.ofSeconds(1)));
  }

  @Test
  void clientPauseFailsCallersWithinTheTimeoutOpensTheBreakerAndRecoversWithoutLostCompletions()
      throws Exception {
    try (RedisIdempotencyStore store = store()) {
      CircuitBreaker breaker =
          CircuitBreaker.of(
              "redis-idempotency",
              CircuitBreakerConfig.custom()
                  .slidingWindowSize(4)
                  .minimumNumberOfCalls(4)
                  .failureRateThreshold(50)
                  .waitDurationInOpenState(Duration.ofMillis(200))
                  .permittedNumberOfCallsInHalfOpenState(1)
                  .build());
      Idempotency idempotency =
          Idempotency.builder(store)
              .defaultConfig(IdempotencyConfig.custom().leaseDuration(LEASE).build())
              .operationConfig(
                  "open-op",
                  IdempotencyConfig.custom()
                      .leaseDuration(LEASE)
                      .outagePolicy(OutagePolicy.FAIL_OPEN)
                      .build())
              .circuitBreaker(breaker)
              .storeCallTimeout(Duration.ofSeconds(2))
              .build();
      RedisStoreProbe probe = RedisStoreProbe.builder(store).circuitBreaker(breaker).build();
      AtomicInteger runs = new AtomicInteger();

      IdempotencyResult<String> before =
          idempotency.execute(key("before"), fp("a"), OutcomeCodec.utf8(), () -> "done-before");
      assertThat(before.status()).isEqualTo(IdempotencyResult.Status.STORED);
      assertThat(probe(probe).status()).isEqualTo(HealthStatus.PASS);

      server.cli("CLIENT", "PAUSE", "3000", "ALL");
      List<Long> elapsedMillis = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        long start = System.nanoTime();
        assertThatThrownBy(
                () ->
                    idempotency.execute(
                        key("during-" + UUID.randomUUID()),
                        fp("a"),
                        OutcomeCodec.utf8(),
                        () -> "ran-" + runs.incrementAndGet()))
            .isInstanceOf(IdempotencyStoreUnavailableException.class);
        elapsedMillis.add((System.nanoTime() - start) / 1_000_000);
      }
      assertThat(runs.get()).as("fail-closed: no action ran").isZero();
      assertThat(elapsedMillis)
          .as("every caller failed within the engine's store-call timeout (2 s)")
          .allMatch(ms -> ms < 2000);
      assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
      // Fail-open operation: the action runs without deduplication while Redis is paused.
      IdempotencyResult<String> open =
          idempotency.execute(
              IdempotencyKey.of("scope", "open-op", "k"),
              fp("a"),
              OutcomeCodec.utf8(),
              () -> "ran-open");
      assertThat(open.value()).isEqualTo("ran-open");
      ProbeResult during = probe(probe);
      assertThat(during.status()).isIn(HealthStatus.WARN, HealthStatus.FAIL);
      assertThat(during.details().get("breakerState")).isIn("OPEN", "HALF_OPEN");

      // After the pause (polled, not slept): calls succeed, the breaker closes, nothing was lost.
      await("store answers again", () -> answers(store, 200));
      await(
          "a new key executes through the engine again",
          () -> {
            try {
              return idempotency
                      .execute(
                          key("after-" + UUID.randomUUID()),
                          fp("a"),
                          OutcomeCodec.utf8(),
                          () -> "x")
                      .status()
                  == IdempotencyResult.Status.STORED;
            } catch (RuntimeException e) {
              return false;
            }
          });
      await("breaker closed", () -> breaker.getState() == CircuitBreaker.State.CLOSED);
      IdempotencyResult<String> replay =
          idempotency.execute(key("before"), fp("a"), OutcomeCodec.utf8(), () -> "again");
      assertThat(replay.isReplayed()).isTrue();
      assertThat(replay.value()).isEqualTo("done-before");
      // The probe sees the breaker closed; the timed-out calls stay in its one-minute p99 window.
      ProbeResult after = probe(probe);
      assertThat(after.details().get("breakerState")).isEqualTo("CLOSED");
      assertThat(after.status()).isNotEqualTo(HealthStatus.FAIL);
      assertThat(after.output()).doesNotContain("circuit breaker");
    }
  }

  @Test
  void debugSleepTimesOutEachCallAtTheCommandTimeout() throws Exception {
    try (RedisIdempotencyStore store = store()) {
      Thread sleeper =
          new Thread(
              () -> {
                try {
                  server.cli("DEBUG", "SLEEP", "2");
                } catch (Exception ignored) {
                  // the test fails on its own assertions
                }
              });
      sleeper.start();
      await("server busy", () -> !answers(store, 100));
      long start = System.nanoTime();
      assertThatThrownBy(() -> store.claim(key("slow"), fp("a"), LEASE))
          .isInstanceOf(IdempotencyStoreException.class)
          .hasMessageContaining("command timeout");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
      sleeper.join();
      await("server back", () -> answers(store, 200));
      assertThat(store.claim(key("after-sleep"), fp("a"), LEASE))
          .isInstanceOf(ClaimResult.Acquired.class);
    }
  }

  @Test
  void stoppedServerFailsEveryCallWithinTheTimeoutAndTheProbeFails() throws Exception {
    RedisIdempotencyStore store = store();
    RedisStoreProbe probe = RedisStoreProbe.builder(store).build();
    ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(key("k"), fp("a"), LEASE);
    server.kill();
    long start = System.nanoTime();
    assertThatThrownBy(() -> store.complete(key("k"), a.ownerToken(), StoredOutcome.ok("x"), LEASE))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(probe(probe).status()).isEqualTo(HealthStatus.FAIL);
    store.close();
  }

  @Test
  void lostScriptCacheFallsBackToEval() throws Exception {
    try (RedisIdempotencyStore store = store()) {
      ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(key("k"), fp("a"), LEASE);
      assertThat(server.cli("SCRIPT", "FLUSH")).isEqualTo("OK");
      assertThat(store.complete(key("k"), a.ownerToken(), StoredOutcome.ok("v"), LEASE)).isTrue();
      assertThat(store.claim(key("k"), fp("a"), LEASE)).isInstanceOf(ClaimResult.Completed.class);
      assertThat(server.cli("SCRIPT", "EXISTS", Scripts.COMPLETE.sha)).isEqualTo("1");
    }
  }

  @Test
  void userWithoutScriptPermissionIsAStartupErrorNamingIt() throws Exception {
    assertThat(
            server.cli("ACL", "SETUSER", "noeval", "on", ">pw", "~*", "+@all", "-eval", "-evalsha"))
        .isEqualTo("OK");
    assertThat(
            server.cli("ACL", "SETUSER", "noscripting", "on", ">pw", "~*", "+@all", "-@scripting"))
        .isEqualTo("OK");
    assertThat(server.cli("ACL", "SETUSER", "otherkeys", "on", ">pw", "~other:*", "+@all"))
        .isEqualTo("OK");
    for (String[] user :
        new String[][] {
          {"noeval", "EVALSHA", "evalsha"},
          {"noscripting", "SCRIPT LOAD", "script"},
          {"otherkeys", "EVALSHA", "keys"}
        }) {
      RedisClient restricted =
          RedisClient.create(
              RedisURI.builder()
                  .withHost("127.0.0.1")
                  .withPort(server.port())
                  .withAuthentication(user[0], "pw")
                  .build());
      try {
        assertThatThrownBy(
                () ->
                    RedisIdempotencyStore.create(
                        restricted, RedisIdempotencyStoreConfig.ofDefaults()))
            .as(user[0])
            .isInstanceOf(RedisPermissionException.class)
            .hasMessageContaining("Redis refused '" + user[1] + "'")
            .hasMessageContaining("NOPERM")
            .hasMessageContaining(user[2])
            .hasMessageContaining("ACL SETUSER")
            .extracting(e -> ((RedisPermissionException) e).getCommand())
            .isEqualTo(user[1]);
      } finally {
        restricted.shutdown();
      }
    }
  }

  @Test
  void waitForReplicasFailsWithoutReplicaAndSucceedsWithOne() throws Exception {
    RedisIdempotencyStoreConfig durable =
        RedisIdempotencyStoreConfig.custom()
            .commandTimeout(Duration.ofSeconds(1))
            .waitForReplicas(1, Duration.ofMillis(200))
            .build();
    try (RedisIdempotencyStore store = RedisIdempotencyStore.create(client, durable)) {
      assertThatThrownBy(() -> store.claim(key("k"), fp("a"), LEASE))
          .isInstanceOf(RedisReplicationException.class)
          .hasMessageContaining("acknowledged by 0 of the 1 required replicas");
      assertThat(store.find(key("k"))).as("the unreplicated claim was released").isEmpty();
    }
    // With a replica the acknowledgement comes at once; the generous WAIT timeout only keeps a
    // loaded CI machine from turning a slow acknowledgement into a false failure.
    RedisIdempotencyStoreConfig durableWithReplica =
        RedisIdempotencyStoreConfig.custom()
            .commandTimeout(Duration.ofSeconds(15))
            .waitForReplicas(1, Duration.ofSeconds(10))
            .build();
    try (RedisServer replica =
            RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(server.port()));
        RedisIdempotencyStore store = RedisIdempotencyStore.create(client, durableWithReplica)) {
      await(
          "replica connected",
          () -> {
            try {
              return server.cli("INFO", "replication").contains("connected_slaves:1")
                  && replica.cli("INFO", "replication").contains("master_link_status:up");
            } catch (Exception e) {
              return false;
            }
          });
      ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(key("k2"), fp("a"), LEASE);
      assertThat(store.complete(key("k2"), a.ownerToken(), StoredOutcome.ok("v"), LEASE)).isTrue();
      String redisKey =
          new String(store.redisKey(key("k2")), java.nio.charset.StandardCharsets.US_ASCII);
      assertThat(replica.cli("GETRANGE", redisKey, "1", "1"))
          .as("on the replica at once")
          .isEqualTo("C");
      // Duplicates write nothing, so they never wait.
      assertThat(store.claim(key("k2"), fp("a"), LEASE)).isInstanceOf(ClaimResult.Completed.class);
    }
  }

  /**
   * The engine calls the store's bounded view on the caller's thread: a stopped server (SIGSTOP:
   * the connection stays open, nothing answers) fails each call within the engine's store-call
   * timeout even when it is shorter than the command timeout, with the timeout as the cause, and
   * nothing runs twice once the server answers again.
   */
  @Test
  void aStoppedServerFailsCallsWithinTheEnginesTimeoutOnTheCallersThread() throws Exception {
    Duration callTimeout = Duration.ofMillis(500);
    try (RedisIdempotencyStore store =
        RedisIdempotencyStore.create(
            client,
            RedisIdempotencyStoreConfig.custom().commandTimeout(Duration.ofSeconds(20)).build())) {
      Idempotency idempotency =
          Idempotency.builder(store)
              .defaultConfig(IdempotencyConfig.custom().leaseDuration(LEASE).build())
              .storeCallTimeout(callTimeout)
              .build();
      assertThat(idempotency.storeCallsHandedOff()).isFalse();
      AtomicInteger runs = new AtomicInteger();
      assertThat(
              idempotency
                  .execute(
                      key("before"),
                      fp("a"),
                      OutcomeCodec.utf8(),
                      () -> "r" + runs.incrementAndGet())
                  .status())
          .isEqualTo(IdempotencyResult.Status.STORED);
      java.util.concurrent.ExecutorService caller =
          java.util.concurrent.Executors.newSingleThreadExecutor();
      Throwable during;
      kill("-STOP");
      try {
        java.util.concurrent.Future<?> call =
            caller.submit(
                () ->
                    idempotency.execute(
                        key("during"),
                        fp("a"),
                        OutcomeCodec.utf8(),
                        () -> "r" + runs.incrementAndGet()));
        try {
          call.get(10, java.util.concurrent.TimeUnit.SECONDS);
          during = null;
        } catch (java.util.concurrent.ExecutionException e) {
          during = e.getCause();
        }
      } finally {
        kill("-CONT");
        caller.shutdownNow();
      }
      assertThat(during)
          .isInstanceOf(IdempotencyStoreUnavailableException.class)
          .cause()
          .isInstanceOfSatisfying(
              io.github.reliability4j.core.idempotency.IdempotencyStoreTimeoutException.class,
              e -> assertThat(e.getTimeout()).isEqualTo(callTimeout));
      assertThat(runs).hasValue(1);
      await("the server answers again", () -> answers(store, 500));
      assertThat(
              idempotency
                  .execute(
                      key("before"),
                      fp("a"),
                      OutcomeCodec.utf8(),
                      () -> "r" + runs.incrementAndGet())
                  .value())
          .isEqualTo("r1");
      assertThat(runs).hasValue(1);
    }
  }

  private void kill(String signal) throws Exception {
    Process p =
        new ProcessBuilder("kill", signal, Long.toString(server.pid()))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }
}
