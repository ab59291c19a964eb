package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.test.health.AbstractProbeContract;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;

/**
 * {@link JdbcConnectivityProbe} over embedded PostgreSQL, through a connection factory that can be
 * made to refuse or to block in connect (as a driver does against an unresponsive host).
 */
@ReplicatedPostgres(replicas = 0)
class JdbcConnectivityProbeContractTest extends AbstractProbeContract {

  static final String REFUSED = "connection refused by the contract's factory";

  private final PostgresCluster cluster;
  private volatile String mode = "healthy";
  private volatile CountDownLatch release = new CountDownLatch(1);
  private volatile boolean blocked;
  private volatile Connection last;
  private JdbcConnectivityProbe probe;

  JdbcConnectivityProbeContractTest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  private Connection connect() throws SQLException {
    switch (mode) {
      case "failing":
        throw new SQLTransientConnectionException(REFUSED, "08001");
      case "hanging":
        blocked = true;
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while connecting", "08001", e);
        } finally {
          blocked = false;
        }
        break;
      default:
        break;
    }
    Connection c = cluster.primary().dataSource().getConnection();
    last = c;
    return c;
  }

  @Override
  protected Probe probe() {
    probe = JdbcConnectivityProbe.builder(this::connect).validationQuery("SELECT 1").build();
    return probe;
  }

  @AfterEach
  void closeProbe() {
    if (probe != null) {
      probe.close();
    }
  }

  @Override
  protected void makeHealthy() {
    mode = "healthy";
    release.countDown();
  }

  @Override
  protected String makeFailing() {
    mode = "failing";
    return REFUSED;
  }

  @Override
  protected boolean makeHanging() {
    release = new CountDownLatch(1);
    mode = "hanging";
    return true;
  }

  @Override
  protected boolean blockedInComponent() {
    return blocked;
  }

  @Override
  protected Optional<Duration> timeoutGiven() throws SQLException {
    Connection c = last;
    return c == null ? Optional.empty() : Optional.of(Duration.ofMillis(c.getNetworkTimeout()));
  }
}
