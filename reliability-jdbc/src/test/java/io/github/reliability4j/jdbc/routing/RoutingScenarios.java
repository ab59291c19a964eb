package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.jdbc.health.ReplicaLagProbe;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Routing acceptance scenarios that do not depend on the database: the PostgreSQL and the MariaDB
 * replication tests run the same code against their own clusters.
 */
final class RoutingScenarios {

  private RoutingScenarios() {}

  /** A routed read in a fresh session; returns the port of the server that answered. */
  interface PortRead {
    int read() throws SQLException;
  }

  static void awaitTrue(
      ReplicaRoutingDataSource ds, Duration deadline, String what, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for: " + what + "; " + ds.lagView().replicas());
      }
      try {
        TimeUnit.MILLISECONDS.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /**
   * Three threads read continuously; the victim is stopped (excluded quickly, reads continue
   * without a failure), then started (re-admitted, serves reads again), with the state-change
   * events.
   */
  static void replicaStoppedMidLoadIsExcludedAndReadmitted(
      ReplicaRoutingDataSource ds,
      EventRecorder events,
      Duration deadline,
      String victim,
      int victimPort,
      PortRead read,
      Runnable stopVictim,
      Runnable startVictim)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger ok = new AtomicInteger();
    Map<Integer, AtomicInteger> byPort = new ConcurrentHashMap<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    ExecutorService readers = Executors.newFixedThreadPool(3);
    try {
      for (int t = 0; t < 3; t++) {
        readers.execute(
            () -> {
              while (!stop.get()) {
                try (Consistency.Scope s = Consistency.session()) {
                  int port = read.read();
                  ok.incrementAndGet();
                  byPort.computeIfAbsent(port, p -> new AtomicInteger()).incrementAndGet();
                } catch (Throwable e) {
                  failures.add(e);
                }
              }
            });
      }
      awaitTrue(ds, deadline, "reads reach the victim", () -> count(byPort, victimPort) > 5);
      stopVictim.run();
      awaitTrue(
          ds,
          deadline,
          "victim excluded",
          () -> !ds.lagView().replica(victim).orElseThrow().admitted());
      int okAtExclusion = ok.get();
      awaitTrue(ds, deadline, "reads continue", () -> ok.get() > okAtExclusion + 20);

      startVictim.run();
      awaitTrue(
          ds,
          deadline,
          "victim re-admitted",
          () -> ds.lagView().replica(victim).orElseThrow().admitted());
      int before = count(byPort, victimPort);
      awaitTrue(
          ds, deadline, "victim serves reads again", () -> count(byPort, victimPort) > before + 5);
    } finally {
      stop.set(true);
      readers.shutdown();
      readers.awaitTermination(30, TimeUnit.SECONDS);
    }
    assertThat(failures).as("failed reads").isEmpty();
    assertThat(events.stateChanges).anyMatch(e -> e.startsWith(victim + "-"));
    assertThat(events.stateChanges).anyMatch(e -> e.startsWith(victim + "+"));
  }

  private static int count(Map<Integer, AtomicInteger> byPort, int port) {
    AtomicInteger n = byPort.get(port);
    return n == null ? 0 : n.get();
  }

  /** The health module's lag probe passes, then fails once the victim is stopped. */
  static void healthLagProbeReadsTheRoutingMonitor(
      ReplicaRoutingDataSource ds, Duration deadline, String victim, Runnable stopVictim) {
    ReplicaLagProbe probe = ReplicaLagProbe.builder(ds.lagView()).build();
    ProbeContext ctx = new ProbeContext("replica-lag", Instant.now(), Duration.ofSeconds(1));
    assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.PASS);

    stopVictim.run();
    awaitTrue(
        ds,
        deadline,
        "stopped replica reported unavailable",
        () ->
            ds.lagView().replicas().stream()
                .anyMatch(s -> s.name().equals(victim) && !s.admitted()));
    assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.FAIL);
  }
}
