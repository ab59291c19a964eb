package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.ReplicaReset;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingReplicationTest.Read;
import io.github.reliability4j.test.balancer.TcpBalancer;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Read-your-writes when one configured replica URL is not one server whose position only grows: a
 * TCP balancer ({@link TcpBalancer}) in front of two real streaming standbys, one of them paused (a
 * Kubernetes {@code -ro} Service over a lagging pod), and a replica replaced on the same address by
 * a server that is behind (a restart from an older clone). Every read checks the value its own
 * session wrote: a read served by a server that has not replayed the write returns the old value,
 * which is counted as stale.
 */
@ReplicatedPostgres(replicas = 2)
class LoadBalancedReplicaTest {

  static final Duration DEADLINE = Duration.ofSeconds(60);
  static PostgresCluster cluster;
  static final AtomicLong IDS = new AtomicLong(System.nanoTime() & 0xFFFFFFFL);

  final List<AutoCloseable> closeables = new ArrayList<>();
  final EventRecorder events = new EventRecorder();

  @BeforeAll
  static void createTable(PostgresCluster c) throws SQLException {
    cluster = c;
    try (Connection conn = c.primary().dataSource().getConnection();
        Statement s = conn.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS lb_rows (id bigint PRIMARY KEY, v bigint)");
    }
    c.awaitReplicasCaughtUp(DEADLINE);
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    cluster.resetReplicas();
  }

  // ---------------------------------------------------------------- the two topologies

  /**
   * 2,000 write→read pairs from four threads through one replica URL that balances over a current
   * and a paused standby: no read is stale, none is served by the paused standby, and the current
   * one still serves a meaningful share.
   */
  @Test
  void balancedEndpointWithOnePausedStandbyServesNoStaleRead() throws Exception {
    ReplicaNode current = cluster.replica(0);
    ReplicaNode paused = cluster.replica(1);
    paused.pauseReplay();
    TcpBalancer lb = balancer(current, paused);
    ReplicaRoutingDataSource ds = routing(lb, true);

    Counts counts = pairs(ds, current, 4, 500);

    assertThat(counts.stale.get()).as("stale reads").isZero();
    assertThat(counts.byPort(paused.port())).as("reads served by the paused standby").isZero();
    assertThat(counts.total()).isEqualTo(2000);
    assertThat(counts.byPort(current.port()))
        .as("reads served by the current standby (a meaningful share of 2,000)")
        .isGreaterThanOrEqualTo(200);
    assertThat(lb.connectionsTo(address(paused)))
        .as("the balancer did send connections to the paused standby")
        .isPositive();
  }

  /**
   * The same endpoint, not declared load-balanced: still no stale read (positions are per server),
   * and the changing server behind the name is reported.
   */
  @Test
  void undeclaredBalancedEndpointServesNoStaleReadAndReportsServerChanges() throws Exception {
    ReplicaNode current = cluster.replica(0);
    ReplicaNode paused = cluster.replica(1);
    paused.pauseReplay();
    TcpBalancer lb = balancer(current, paused);
    ReplicaRoutingDataSource ds = routing(lb, false);

    Counts counts = pairs(ds, current, 4, 250);

    assertThat(counts.stale.get()).as("stale reads").isZero();
    assertThat(counts.byPort(paused.port())).as("reads served by the paused standby").isZero();
    assertThat(lb.connectionsTo(address(paused))).isPositive();
    awaitTrue(
        ds,
        "a SERVER_CHANGED reset",
        () -> events.resets.stream().anyMatch(e -> e.contains(ReplicaReset.SERVER_CHANGED.name())));
  }

  /**
   * The server behind a replica's address is replaced by one that is behind but within the lag
   * limits (a restart from a slightly older clone): the router learns the new server's own
   * position, so reads of writes the old server had replayed are not served by it (0 stale reads
   * after the swap), the reset is reported, and once the new server catches up it serves reads of
   * new writes again.
   */
  @Test
  void replicaReplacedByAServerThatIsBehindServesNoStaleRead() throws Exception {
    ReplicaNode original = cluster.replica(0);
    ReplicaNode behind = cluster.replica(1);
    TcpBalancer lb = balancer(original);
    ReplicaRoutingDataSource ds = routing(lb, false);
    awaitTrue(ds, "replica admitted", () -> status(ds).admitted());

    Counts before = pairs(ds, original, 1, 200);
    assertThat(before.stale.get()).isZero();
    assertThat(before.byPort(original.port())).as("reads on the original server").isPositive();

    behind.pauseReplay();
    // The original server replays writes the one that replaces it will not have, and the router
    // learns that it did.
    List<Written> ahead = writes(ds, 50);
    original.awaitCaughtUp(DEADLINE);
    ds.sampleNow();
    awaitTrue(ds, "original server admitted", () -> status(ds).admitted());
    assertThat(status(ds).knownPosition().covers(lastToken(ds, ahead))).isTrue();

    lb.switchTo(List.of(address(behind)));
    awaitTrue(
        ds,
        "a SERVER_CHANGED reset",
        () -> events.resets.stream().anyMatch(e -> e.contains(ReplicaReset.SERVER_CHANGED.name())));
    // Its lag is within the limits: it is admitted again, with its own (older) position.
    awaitTrue(ds, "the new server admitted", () -> status(ds).admitted());

    // Reads of what the old server had replayed, then new pairs: none may be stale.
    Counts after = new Counts();
    reads(ds, ahead, after);
    Counts more = pairs(ds, original, 2, 250);
    assertThat(after.stale.get() + more.stale.get()).as("stale reads after the swap").isZero();
    assertThat(after.byPort(behind.port()) + more.byPort(behind.port()))
        .as("reads served by the server behind")
        .isZero();

    behind.resumeReplay();
    behind.awaitCaughtUp(DEADLINE);
    AtomicInteger onNewServer = new AtomicInteger();
    awaitTrue(
        ds,
        "reads of new writes served by the new server",
        () -> {
          try {
            Counts c = pairs(ds, behind, 1, 5);
            assertThat(c.stale.get()).isZero();
            onNewServer.addAndGet(c.byPort(behind.port()));
            return onNewServer.get() > 0;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    assertThat(status(ds).admitted()).isTrue();
  }

  static io.github.reliability4j.core.routing.ReplicationPosition lastToken(
      ReplicaRoutingDataSource ds, List<Written> rows) {
    return rows.get(rows.size() - 1).session().token(ds.clusterId()).orElseThrow().position();
  }

  // ---------------------------------------------------------------- helpers

  TcpBalancer balancer(ReplicaNode... nodes) {
    List<InetSocketAddress> backends = new ArrayList<>();
    for (ReplicaNode n : nodes) {
      backends.add(address(n));
    }
    TcpBalancer lb = TcpBalancer.start(backends);
    closeables.add(lb);
    return lb;
  }

  static InetSocketAddress address(ReplicaNode n) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), n.port());
  }

  ReplicaRoutingDataSource routing(TcpBalancer lb, boolean declared) {
    HikariDataSource primary =
        ReplicaRoutingReplicationTest.primaryPool("lb-primary", cluster.primary().jdbcUrl());
    closeables.add(primary);
    String url =
        cluster.replica(0).jdbcUrl().replaceFirst("//[^/]+/", "//127.0.0.1:" + lb.port() + "/");
    HikariDataSource reader = ReplicaRoutingReplicationTest.pool("lb-reader", url);
    closeables.add(reader);
    RoutingConfig.Builder b =
        RoutingConfig.custom()
            .primary("primary", primary)
            .listener(events)
            .policy(
                RoutingPolicy.custom()
                    .sampleInterval(Duration.ofMillis(100))
                    .readmitAfterSamples(2)
                    // Generous: a paused standby stays within it for the whole test, so what
                    // keeps reads off it is its position, not its lag.
                    .maxReplicaLag(Duration.ofMinutes(5))
                    .build());
    if (declared) {
      b.loadBalancedReplica("reader", reader);
    } else {
      b.replica("reader", reader);
    }
    ReplicaRoutingDataSource ds = new ReplicaRoutingDataSource(b.build());
    closeables.add(0, ds);
    return ds;
  }

  static ReplicaStatus status(ReplicaRoutingDataSource ds) {
    return ds.lagView().replica("reader").orElseThrow();
  }

  static void awaitTrue(ReplicaRoutingDataSource ds, String what, BooleanSupplier condition) {
    RoutingScenarios.awaitTrue(ds, DEADLINE, what, condition);
  }

  /** Outcomes of write→read pairs. */
  static final class Counts {
    final AtomicInteger stale = new AtomicInteger();
    final java.util.concurrent.ConcurrentHashMap<Integer, AtomicInteger> ports =
        new java.util.concurrent.ConcurrentHashMap<>();

    int byPort(int port) {
      AtomicInteger n = ports.get(port);
      return n == null ? 0 : n.get();
    }

    int total() {
      return ports.values().stream().mapToInt(AtomicInteger::get).sum();
    }
  }

  /** A row written in its own session, to be read back in that session. */
  record Written(ConsistencySession session, long id, long v) {}

  /** Writes {@code n} fresh rows, each in a new session. */
  static List<Written> writes(ReplicaRoutingDataSource ds, int n) throws SQLException {
    List<Written> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long id = IDS.incrementAndGet();
      ConsistencySession session = ConsistencySession.create();
      try (Consistency.Scope s = Consistency.session(session)) {
        write(ds, id, i + 1);
      }
      out.add(new Written(session, id, i + 1));
    }
    return out;
  }

  /** Reads each row back read-only in the session that wrote it, counting stale values. */
  static void reads(ReplicaRoutingDataSource ds, List<Written> rows, Counts counts)
      throws SQLException {
    for (Written w : rows) {
      try (Consistency.Scope s = Consistency.session(w.session())) {
        Read r = read(ds, w.id());
        if (r.value() == null || r.value() != w.v()) {
          counts.stale.incrementAndGet();
        }
        counts.ports.computeIfAbsent(r.port(), k -> new AtomicInteger()).incrementAndGet();
      }
    }
  }

  /**
   * {@code threads} threads each run {@code perThread} write→read pairs in batches of 25: write the
   * batch (a new session per row), let {@code current} replay it and sample the replica (so what
   * the router knows of the current server covers the batch's tokens: the case where trusting that
   * knowledge on a connection to another server would read stale data), then read each row back in
   * its own session.
   */
  static Counts pairs(ReplicaRoutingDataSource ds, ReplicaNode current, int threads, int perThread)
      throws Exception {
    Counts counts = new Counts();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int done = 0; done < perThread; done += 25) {
                    List<Written> batch = writes(ds, Math.min(25, perThread - done));
                    current.awaitCaughtUp(DEADLINE);
                    ds.sampleNow();
                    reads(ds, batch, counts);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return counts;
  }

  static void write(DataSource ds, long id, long v) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO lb_rows (id, v) VALUES (?, ?)"
                  + " ON CONFLICT (id) DO UPDATE SET v = excluded.v")) {
        ps.setLong(1, id);
        ps.setLong(2, v);
        ps.executeUpdate();
      }
      c.commit();
    }
  }

  static Read read(DataSource ds, long id) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT (SELECT v FROM lb_rows WHERE id = ?), pg_is_in_recovery(),"
                  + " inet_server_port()")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long v = rs.getLong(1);
          return new Read(rs.wasNull() ? null : v, rs.getBoolean(2), rs.getInt(3));
        }
      }
    }
  }
}
