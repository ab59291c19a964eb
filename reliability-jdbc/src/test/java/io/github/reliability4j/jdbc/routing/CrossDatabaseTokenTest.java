package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.CausalTokenCodec;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.NodeRole;
import io.github.reliability4j.core.routing.ReplicaStatus;
import io.github.reliability4j.test.mariadb.MariaDbCluster;
import io.github.reliability4j.test.mariadb.ReplicatedMariaDb;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One token format for both databases: a PostgreSQL token presented to a MariaDB-routed data source
 * (and the reverse) is a foreign token — rejected with an event, the read goes to the primary.
 */
@ReplicatedPostgres(replicas = 2)
@ReplicatedMariaDb(replicas = 2)
class CrossDatabaseTokenTest {

  static final EventRecorder pgEvents = new EventRecorder();
  static final EventRecorder mariaEvents = new EventRecorder();
  static ReplicaRoutingDataSource pg;
  static ReplicaRoutingDataSource maria;

  @BeforeAll
  static void setUp(PostgresCluster pgCluster, MariaDbCluster mariaCluster) {
    RoutingConfig.Builder p =
        RoutingConfig.custom()
            .primary("pg-primary", pgCluster.primary().dataSource())
            .tokenKey(ReplicaRoutingReplicationTest.KEY)
            .listener(pgEvents)
            .policy(MariaDbReplicaRoutingReplicationTest.policy());
    pgCluster.replicas().forEach(r -> p.replica(r.name(), r.dataSource()));
    pg = new ReplicaRoutingDataSource(p.build());
    RoutingConfig.Builder m =
        RoutingConfig.custom()
            .primary("maria-primary", mariaCluster.primary().dataSource())
            .tokenKey(ReplicaRoutingReplicationTest.KEY)
            .listener(mariaEvents)
            .policy(MariaDbReplicaRoutingReplicationTest.policy());
    mariaCluster.replicas().forEach(r -> m.replica(r.name(), r.dataSource()));
    maria = new ReplicaRoutingDataSource(m.build());
    awaitAdmitted(pg);
    awaitAdmitted(maria);
  }

  @AfterAll
  static void tearDown() {
    if (pg != null) {
      pg.close();
    }
    if (maria != null) {
      maria.close();
    }
  }

  static void awaitAdmitted(ReplicaRoutingDataSource ds) {
    await(() -> ds.lagView().replicas().stream().allMatch(ReplicaStatus::admitted));
  }

  static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out");
      }
      try {
        TimeUnit.MILLISECONDS.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** A token of {@code from}, made by a real write through it. */
  static String tokenOf(ReplicaRoutingDataSource from, String createSql) throws SQLException {
    ConsistencySession session = ConsistencySession.create();
    try (Consistency.Scope s = Consistency.session(session);
        Connection c = from.getConnection();
        Statement st = c.createStatement()) {
      st.execute(createSql);
    }
    return from.exportSession(session).orElseThrow();
  }

  static NodeRole readRole(ReplicaRoutingDataSource ds, ConsistencySession session)
      throws SQLException {
    try (Consistency.Scope s = Consistency.session(session);
        Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT 1")) {
        rs.next();
      }
      return c.unwrap(RoutedConnection.class).routeDecision().orElseThrow().role();
    }
  }

  @Test
  void postgresTokenOnMariaDbIsForeignAndReadsThePrimary() throws SQLException {
    String pgToken = tokenOf(pg, "CREATE TABLE IF NOT EXISTS cross_token_pg (id int)");
    assertThat(readRole(maria, ConsistencySession.create()))
        .as("without a token a replica serves")
        .isEqualTo(NodeRole.REPLICA);
    mariaEvents.clear();
    ConsistencySession imported = maria.importSession(pgToken);
    assertThat(readRole(maria, imported)).isEqualTo(NodeRole.PRIMARY);
    assertThat(mariaEvents.rejections).containsExactly(CausalTokenCodec.Rejection.FOREIGN_CLUSTER);
    assertThat(mariaEvents.fallbacks).containsExactly(FallbackReason.UNTRUSTED_TOKEN);
    // Issue 22: the distrust is passed on (it used to export nothing, and the next instance
    // trusted the session).
    assertThat(
            maria
                .importSession(maria.exportSession(imported).orElseThrow())
                .untrustedReason(maria.clusterId()))
        .as("the untrusted mark is passed on")
        .isPresent();
  }

  @Test
  void mariaDbTokenOnPostgresIsForeignAndReadsThePrimary() throws SQLException {
    String mariaToken = tokenOf(maria, "CREATE TABLE IF NOT EXISTS cross_token_maria (id int)");
    assertThat(readRole(pg, ConsistencySession.create())).isEqualTo(NodeRole.REPLICA);
    pgEvents.clear();
    ConsistencySession imported = pg.importSession(mariaToken);
    assertThat(readRole(pg, imported)).isEqualTo(NodeRole.PRIMARY);
    assertThat(pgEvents.rejections).containsExactly(CausalTokenCodec.Rejection.FOREIGN_CLUSTER);
    assertThat(pgEvents.fallbacks).containsExactly(FallbackReason.UNTRUSTED_TOKEN);
  }
}
