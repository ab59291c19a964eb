package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.RoutingPolicy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random sequences of JDBC calls on a logical connection against a model: a transaction never spans
 * two nodes, read-only work goes to replicas and writes to the primary, at most one physical
 * connection per role is held, and close returns them all.
 */
class RoutingConnectionProperties {

  enum Op {
    READ_ONLY_ON,
    READ_ONLY_OFF,
    AUTO_COMMIT_ON,
    AUTO_COMMIT_OFF,
    QUERY,
    WRITE,
    COMMIT,
    ROLLBACK
  }

  static RoutingConnectionTest.CountingDataSource primary;
  static RoutingConnectionTest.CountingDataSource r1;
  static RoutingConnectionTest.CountingDataSource r2;
  static ReplicaRoutingDataSource ds;

  @BeforeContainer
  static void setUp() throws SQLException {
    RoutingConnectionTest.MutableClock clock = new RoutingConnectionTest.MutableClock();
    primary = RoutingConnectionTest.h2("primary");
    r1 = RoutingConnectionTest.h2("r1");
    r2 = RoutingConnectionTest.h2("r2");
    ds =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("primary", primary)
                .replica("r1", r1)
                .replica("r2", r2)
                .dialect(TimeWindowReplicationDialect.of(Duration.ofSeconds(1), clock, "prop"))
                .policy(RoutingPolicy.custom().maxCausalWait(Duration.ZERO).build())
                .clock(clock)
                .monitor(false)
                .build());
    clock.now = clock.now.plusSeconds(1);
    ds.sampleNow();
  }

  @AfterContainer
  static void tearDown() {
    ds.close();
  }

  @Property(tries = 150)
  void transactionsNeverSpanNodes(@ForAll @Size(max = 30) List<Op> ops) throws SQLException {
    boolean autoCommit = true;
    boolean readOnly = false;
    String txNode = null;
    // ANY: the model then only needs the read/write intent, not token coverage.
    try (Consistency.Scope s = Consistency.session();
        Consistency.Scope o = Consistency.options(ConsistencyLevel.ANY);
        Connection c = ds.getConnection()) {
      for (Op op : ops) {
        switch (op) {
          case READ_ONLY_ON, READ_ONLY_OFF -> {
            boolean want = op == Op.READ_ONLY_ON;
            try {
              c.setReadOnly(want);
              readOnly = want;
            } catch (SQLException e) {
              assertThat(txNode).as("only refused mid-transaction").isNotNull();
              assertThat(want).isNotEqualTo(readOnly);
            }
          }
          case AUTO_COMMIT_ON, AUTO_COMMIT_OFF -> {
            c.setAutoCommit(op == Op.AUTO_COMMIT_ON);
            autoCommit = op == Op.AUTO_COMMIT_ON;
            if (autoCommit) {
              txNode = null;
            }
          }
          case QUERY, WRITE -> {
            String node = RoutingConnectionTest.node(c);
            if (txNode != null) {
              assertThat(node).as("same node within a transaction").isEqualTo(txNode);
            } else if (readOnly) {
              assertThat(node).startsWith("r");
            } else {
              assertThat(node).isEqualTo("primary");
            }
            if (!autoCommit) {
              txNode = node;
            }
            if (op == Op.WRITE && node.equals("primary")) {
              try (Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE node SET name = name");
              }
            }
          }
          case COMMIT, ROLLBACK -> {
            try {
              if (op == Op.COMMIT) {
                c.commit();
              } else {
                c.rollback();
              }
              assertThat(autoCommit).isFalse();
            } catch (SQLException e) {
              assertThat(autoCommit).as(e.getMessage()).isTrue();
            }
            txNode = null;
          }
          default -> throw new AssertionError(op);
        }
        assertThat(primary.open.get()).isLessThanOrEqualTo(1);
        assertThat(r1.open.get() + r2.open.get()).isLessThanOrEqualTo(1);
      }
    }
    assertThat(primary.open.get() + r1.open.get() + r2.open.get()).isZero();
  }
}
