package io.github.reliability4j.test.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.reliability4j.core.routing.ReplicationPosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every replication dialect of the JDBC module ({@code
 * io.github.reliability4j.jdbc.routing.ReplicationDialect}) passes against a real primary and
 * replica: the guarantees read-your-writes routing is built on. A test class extends it, binds the
 * dialect through {@link Dialect} (this module does not depend on the JDBC module, which depends on
 * it) and supplies a primary, a replica and the replica's lag controls, from the embedded
 * PostgreSQL kit or the MariaDB kit.
 *
 * <p>What it checks: the cluster identity is the same on both nodes and the node identities differ;
 * the role check tells the primary from the replica (or says it cannot); a position read after a
 * commit on the same session covers that commit, and once the replica's replay position covers it,
 * the committed row is visible on the replica; while replay is stopped, the replica's position does
 * not cover a new commit and the row is not visible; positions only move forward; encoded positions
 * parse back to an equal position and garbage is refused; a server-side wait returns false while
 * replay is stopped and true once it has resumed; the replay position checked against another
 * cluster's identity is refused (by a dialect that checks); and no method closes its connection or
 * changes its auto-commit mode. Waiting for replication polls with a deadline ({@link
 * #deadline()}); nothing asserts a duration.
 *
 * <p>Each instance writes to its own table (random name) and stops replay only on the replica it
 * was given, resuming it after each test.
 */
public abstract class AbstractReplicationDialectContract {

  /**
   * The methods of the dialect under test, bound by the test class (each one calls the dialect's
   * method of the same name).
   */
  public interface Dialect {
    String name();

    String clusterId(Connection c) throws SQLException;

    Optional<String> nodeIdentity(Connection c) throws SQLException;

    Optional<Boolean> isInRecovery(Connection c) throws SQLException;

    ReplicationPosition currentPosition(Connection primary) throws SQLException;

    ReplicationPosition sessionPosition(Connection primary) throws SQLException;

    ReplicationPosition replayPosition(Connection replica) throws SQLException;

    ReplicationPosition replayPosition(Connection replica, String clusterId) throws SQLException;

    boolean waitsOnServer();

    boolean awaitReplay(Connection replica, ReplicationPosition target, Duration timeout)
        throws SQLException;

    ReplicationPosition parsePosition(String encoded);

    boolean isExact();
  }

  /** The dialect under test. */
  protected abstract Dialect dialect();

  /** The primary; connections are closed by the contract. */
  protected abstract DataSource primary();

  /** A replica of {@link #primary()}; connections are closed by the contract. */
  protected abstract DataSource replica();

  /** Stops the replica applying changes (new commits on the primary stay invisible on it). */
  protected abstract void stopReplay();

  /** Lets the replica apply changes again; called after every test. */
  protected abstract void resumeReplay();

  /**
   * Whether {@link Dialect#replayPosition(Connection, String)} checks the cluster identity (and so
   * must refuse another cluster's), or is the unchecked default.
   */
  protected abstract boolean checksClusterIdentity();

  /** How long to wait for replication before failing; generous for a loaded machine. */
  protected Duration deadline() {
    return Duration.ofSeconds(60);
  }

  private final String table =
      "r4j_dialect_contract_" + Math.abs(ThreadLocalRandom.current().nextInt());
  private final AtomicLong ids = new AtomicLong();

  @BeforeEach
  void createTable() throws SQLException {
    try (Connection c = primary().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY)");
    }
    try (Connection c = primary().getConnection()) {
      awaitCovered(dialect().currentPosition(c));
    }
  }

  @AfterEach
  void dropTable() throws SQLException {
    resumeReplay();
    try (Connection c = primary().getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + table);
    }
  }

  /** A committed row and the position read after its commit on the same session. */
  protected record Commit(long id, ReplicationPosition position) {}

  /** Inserts a row in a transaction and reads the session position after the commit. */
  private Commit commitRow() throws SQLException {
    long id = ids.incrementAndGet();
    try (Connection c = primary().getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.executeUpdate("INSERT INTO " + table + " (id) VALUES (" + id + ")");
      }
      c.commit();
      c.setAutoCommit(true);
      return new Commit(id, dialect().sessionPosition(c));
    }
  }

  private boolean visibleOnReplica(long id) throws SQLException {
    try (Connection c = replica().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE id = " + id)) {
      rs.next();
      return rs.getLong(1) == 1;
    } catch (SQLException e) {
      // The table itself may not have replicated yet.
      return false;
    }
  }

  private ReplicationPosition replayPosition() throws SQLException {
    try (Connection c = replica().getConnection()) {
      return dialect().replayPosition(c);
    }
  }

  /**
   * Polls the replica's replay position until it covers {@code target}, or fails at the deadline.
   */
  private ReplicationPosition awaitCovered(ReplicationPosition target) throws SQLException {
    long end = System.nanoTime() + deadline().toNanos();
    while (true) {
      ReplicationPosition p = replayPosition();
      if (p.covers(target)) {
        return p;
      }
      if (System.nanoTime() - end > 0) {
        throw new AssertionError(
            "the replica's replay position " + p + " did not cover " + target + " by the deadline");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void nameIsStableAndNonBlank() {
    assertThat(dialect().name()).isNotBlank().isEqualTo(dialect().name());
  }

  @Test
  void clusterIdentityIsSharedAndNodeIdentitiesDiffer() throws SQLException {
    try (Connection p = primary().getConnection();
        Connection r = replica().getConnection()) {
      String cluster = dialect().clusterId(p);
      assertThat(cluster).isNotBlank();
      assertThat(dialect().clusterId(r)).isEqualTo(cluster);
      Optional<String> primaryNode = dialect().nodeIdentity(p);
      Optional<String> replicaNode = dialect().nodeIdentity(r);
      if (primaryNode.isPresent() && replicaNode.isPresent()) {
        assertThat(replicaNode).isNotEqualTo(primaryNode);
      }
      assertThat(dialect().nodeIdentity(p)).as("stable").isEqualTo(primaryNode);
    }
  }

  @Test
  void roleCheckTellsThePrimaryFromTheReplicaOrSaysItCannot() throws SQLException {
    try (Connection p = primary().getConnection();
        Connection r = replica().getConnection()) {
      dialect().isInRecovery(p).ifPresent(v -> assertThat(v).as("primary in recovery").isFalse());
      dialect().isInRecovery(r).ifPresent(v -> assertThat(v).as("replica in recovery").isTrue());
    }
  }

  @Test
  void aReplicaThatCoversTheSessionPositionShowsTheCommit() throws SQLException {
    Commit commit = commitRow();
    awaitCovered(commit.position());
    assertThat(visibleOnReplica(commit.id()))
        .as("row %s visible once the replay position covers %s", commit.id(), commit.position())
        .isTrue();
  }

  @Test
  void theCurrentPositionAfterACommitCoversItToo() throws SQLException {
    long id = ids.incrementAndGet();
    ReplicationPosition current;
    try (Connection c = primary().getConnection();
        Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO " + table + " (id) VALUES (" + id + ")");
      current = dialect().currentPosition(c);
    }
    awaitCovered(current);
    assertThat(visibleOnReplica(id)).isTrue();
  }

  @Test
  void whileReplayIsStoppedANewCommitIsNeitherCoveredNorVisible() throws SQLException {
    stopReplay();
    Commit commit = commitRow();
    assertThat(replayPosition().covers(commit.position()))
        .as("a stopped replica's position covers a later commit")
        .isFalse();
    assertThat(visibleOnReplica(commit.id())).isFalse();
    resumeReplay();
    awaitCovered(commit.position());
    assertThat(visibleOnReplica(commit.id())).isTrue();
  }

  @Test
  void positionsOnlyMoveForward() throws SQLException {
    Commit first = commitRow();
    Commit second = commitRow();
    assertThat(second.position().covers(first.position())).isTrue();
    ReplicationPosition replayed = awaitCovered(second.position());
    assertThat(replayPosition().covers(replayed)).as("replay position moved back").isTrue();
    if (dialect().isExact()) {
      assertThat(first.position().covers(second.position()))
          .as("an exact earlier position covers a later commit")
          .isFalse();
    }
  }

  @Test
  void encodedPositionsParseBackAndGarbageIsRefused() throws SQLException {
    ReplicationPosition p = commitRow().position();
    ReplicationPosition parsed = dialect().parsePosition(p.encode());
    assertThat(parsed.covers(p)).isTrue();
    assertThat(p.covers(parsed)).isTrue();
    assertThat(parsed.encode()).isEqualTo(p.encode());
    assertThatThrownBy(() -> dialect().parsePosition("not a position ~"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aServerSideWaitReturnsFalseWhileStoppedAndTrueOnceResumed() throws SQLException {
    assumeTrue(dialect().waitsOnServer(), "the dialect polls: no server-side wait");
    stopReplay();
    Commit commit = commitRow();
    try (Connection r = replica().getConnection()) {
      assertThat(dialect().awaitReplay(r, commit.position(), Duration.ofMillis(200))).isFalse();
      resumeReplay();
      assertThat(dialect().awaitReplay(r, commit.position(), deadline())).isTrue();
    }
    assertThat(visibleOnReplica(commit.id())).isTrue();
  }

  @Test
  void theCheckedReplayPositionRefusesAnotherClustersIdentity() throws SQLException {
    try (Connection p = primary().getConnection();
        Connection r = replica().getConnection()) {
      String cluster = dialect().clusterId(p);
      ReplicationPosition before = dialect().replayPosition(r);
      assertThat(dialect().replayPosition(r, cluster).covers(before))
          .as("checked against its own cluster: the replay position")
          .isTrue();
      if (checksClusterIdentity()) {
        assertThatThrownBy(() -> dialect().replayPosition(r, cluster + "-other"))
            .isInstanceOf(SQLException.class);
      } else {
        assertThat(dialect().replayPosition(r, cluster + "-other")).isNotNull();
      }
    }
  }

  @Test
  void noMethodClosesItsConnectionOrChangesAutoCommit() throws SQLException {
    try (Connection p = primary().getConnection();
        Connection r = replica().getConnection()) {
      dialect().clusterId(p);
      dialect().nodeIdentity(p);
      dialect().isInRecovery(p);
      dialect().currentPosition(p);
      dialect().sessionPosition(p);
      dialect().isInRecovery(r);
      ReplicationPosition replayed = dialect().replayPosition(r);
      dialect().replayPosition(r, dialect().clusterId(r));
      if (dialect().waitsOnServer()) {
        dialect().awaitReplay(r, replayed, deadline());
      }
      for (Connection c : new Connection[] {p, r}) {
        assertThat(c.isClosed()).isFalse();
        assertThat(c.getAutoCommit()).isTrue();
      }
    }
  }
}
