package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.RoutingOptions;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingReplicationTest.Read;
import io.github.reliability4j.test.balancer.TcpBalancer;
import io.github.reliability4j.test.postgres.ClusterConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A network partition between the service and the primary (issue 22): the router reaches the
 * primary through a {@link TcpBalancer} that is cut, while the primary stays alive and keeps
 * streaming to the replica. Bounded-staleness reads keep being served by the replica, whose own
 * receive status ({@code pg_stat_wal_receiver}) bounds its staleness, long past their bound; once
 * the replica stops streaming too (the primary stopped), they stop qualifying. Its own cluster.
 */
class ReplicaRoutingPartitionedPrimaryTest {

  static final Duration DEADLINE = Duration.ofSeconds(60);
  static final Duration INTERVAL = Duration.ofMillis(200);
  static final Duration BOUND = INTERVAL.multipliedBy(5);

  PostgresCluster cluster;
  TcpBalancer toPrimary;
  final List<HikariDataSource> pools = new ArrayList<>();
  ReplicaRoutingDataSource ds;
  final AtomicBoolean writing = new AtomicBoolean(true);
  Thread writer;

  @AfterEach
  void tearDown() throws Exception {
    writing.set(false);
    if (writer != null) {
      writer.join(DEADLINE.toMillis());
    }
    if (ds != null) {
      ds.close();
    }
    pools.forEach(HikariDataSource::close);
    if (toPrimary != null) {
      toPrimary.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  HikariDataSource pool(String name, String url) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setPoolName("routing-partition-" + name);
    hc.setMaximumPoolSize(4);
    hc.setMinimumIdle(0);
    hc.setConnectionTimeout(1000);
    hc.setInitializationFailTimeout(-1);
    HikariDataSource p = new HikariDataSource(hc);
    pools.add(p);
    return p;
  }

  /** A bounded-staleness read: the replica port that served it, or -1 if it was not served. */
  int boundedRead(int replicaPort) {
    try (Consistency.Scope o =
            Consistency.options(
                RoutingOptions.custom()
                    .consistency(ConsistencyLevel.boundedStaleness(BOUND))
                    .build());
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      Read r = ReplicaRoutingReplicationTest.readOn(c, 1);
      return r.port() == replicaPort && r.inRecovery() ? r.port() : -1;
    } catch (SQLException e) {
      return -1;
    }
  }

  static int deadPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void aReplicaStreamingFromAPrimaryTheRouterCannotReachKeepsServingBoundedStalenessReads()
      throws Exception {
    cluster = PostgresCluster.start(ClusterConfig.custom().replicas(1).build());
    ReplicaNode replica = cluster.replicas().get(0);
    int primaryPort = cluster.primary().port();
    toPrimary = TcpBalancer.startOnPorts(primaryPort);
    String viaBalancer =
        cluster.primary().jdbcUrl().replace(":" + primaryPort + "/", ":" + toPrimary.port() + "/");
    assertThat(viaBalancer).isNotEqualTo(cluster.primary().jdbcUrl());
    try (Connection c = cluster.primary().dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE routing_rows (id bigint PRIMARY KEY, v bigint)");
      s.execute("INSERT INTO routing_rows VALUES (1, 7)");
    }
    // The primary keeps committing (directly, not through the router): the replica keeps
    // receiving messages from it.
    writer =
        new Thread(
            () -> {
              long n = 0;
              while (writing.get()) {
                try (Connection c = cluster.primary().dataSource().getConnection();
                    Statement s = c.createStatement()) {
                  while (writing.get()) {
                    s.execute("UPDATE routing_rows SET v = 7 WHERE id = " + (1 + (n++ % 1)));
                    Thread.sleep(50);
                  }
                } catch (SQLException e) {
                  try {
                    Thread.sleep(200);
                  } catch (InterruptedException ie) {
                    return;
                  }
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "partition-test-writer");
    writer.setDaemon(true);
    writer.start();

    ds =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", pool("primary", viaBalancer))
                .replica(replica.name(), pool(replica.name(), replica.jdbcUrl()))
                .tokenKey(ReplicaRoutingReplicationTest.KEY)
                .policy(
                    RoutingPolicy.custom()
                        .sampleInterval(INTERVAL)
                        .sampleExpiry(Duration.ofSeconds(2))
                        .maxReplicaLag(Duration.ofSeconds(2))
                        .readmitAfterSamples(1)
                        .build())
                .build());
    int replicaPort = replica.port();
    RoutingScenarios.awaitTrue(
        ds, DEADLINE, "a bounded read served by the replica", () -> boundedRead(replicaPort) > 0);

    // The partition: the router loses the primary, the replica does not.
    toPrimary.switchTo(List.of(new InetSocketAddress("127.0.0.1", deadPort())));
    RoutingScenarios.awaitTrue(
        ds,
        DEADLINE,
        "the lag monitor sees the primary unreachable",
        () -> ds.router.primaryUnreachable() != null);
    long cutAt = System.nanoTime();
    long beyond = cutAt + BOUND.multipliedBy(2).toNanos();
    long end = System.nanoTime() + DEADLINE.toNanos();
    int servedBeyondBound = 0;
    int attempts = 0;
    // Poll for at least 3x the bound, and on until the replica served reads past 2x the bound.
    while (System.nanoTime() < end
        && (System.nanoTime() < cutAt + BOUND.multipliedBy(3).toNanos() || servedBeyondBound < 3)) {
      attempts++;
      int port = boundedRead(replicaPort);
      if (System.nanoTime() > beyond && port > 0) {
        servedBeyondBound++;
      }
      Thread.sleep(20);
    }
    assertThat(ds.router.primaryUnreachable())
        .as("the primary stayed unreachable from the router")
        .isNotNull();
    assertThat(servedBeyondBound)
        .as(
            "bounded reads served by the replica more than 2x their bound into the outage, of "
                + attempts)
        .isGreaterThanOrEqualTo(3);

    // The replica stops streaming too: staleness can no longer be bounded, the reads stop
    // qualifying.
    writing.set(false);
    writer.join(DEADLINE.toMillis());
    cluster.stopPrimary();
    RoutingScenarios.awaitTrue(
        ds,
        DEADLINE,
        "bounded reads stop qualifying once the replica is not streaming",
        () -> boundedRead(replicaPort) < 0);
    // And stay that way once its last receive age has expired (older than sampleExpiry).
    RoutingScenarios.awaitTrue(
        ds,
        DEADLINE,
        "staleness grows past the receive-age limit",
        () -> {
          Duration st = ds.router.state(replica.name()).staleness(Instant.now());
          return st == null || st.compareTo(Duration.ofSeconds(2).plus(BOUND)) > 0;
        });
    Duration s = ds.router.state(replica.name()).staleness(Instant.now());
    long until = System.nanoTime() + BOUND.multipliedBy(2).toNanos();
    int servedAfter = 0;
    while (System.nanoTime() < until) {
      if (boundedRead(replicaPort) > 0) {
        servedAfter++;
      }
      Thread.sleep(20);
    }
    assertThat(servedAfter).as("reads served after streaming stopped, staleness " + s).isZero();
  }
}
