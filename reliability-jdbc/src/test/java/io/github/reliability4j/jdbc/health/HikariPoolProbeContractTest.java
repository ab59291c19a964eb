package io.github.reliability4j.jdbc.health;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.test.health.AbstractProbeContract;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/**
 * {@link HikariPoolProbe} over a real HikariCP pool (H2 in memory) of one connection, exhausted to
 * fail: the connection is held and two threads wait for it.
 */
class HikariPoolProbeContractTest extends AbstractProbeContract {

  private final HikariDataSource pool;
  private Connection held;
  private final java.util.List<Thread> waiters = new java.util.ArrayList<>();

  HikariPoolProbeContractTest() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:hikari-probe-contract;DB_CLOSE_DELAY=-1");
    config.setPoolName("probe-contract");
    config.setMaximumPoolSize(1);
    config.setConnectionTimeout(Duration.ofSeconds(60).toMillis());
    pool = new HikariDataSource(config);
  }

  @AfterEach
  void closePool() throws InterruptedException, SQLException {
    makeHealthy();
    for (Thread waiter : waiters) {
      waiter.join(deadline().toMillis());
    }
    pool.close();
  }

  @Override
  protected Probe probe() {
    return HikariPoolProbe.builder(pool).failThreadsAwaiting(2).build();
  }

  @Override
  protected void makeHealthy() throws SQLException {
    if (held != null) {
      held.close();
      held = null;
    }
  }

  @Override
  protected String makeFailing() throws Exception {
    held = pool.getConnection();
    for (int i = 0; i < 2; i++) {
      Thread waiter =
          new Thread(
              () -> {
                try (Connection c = pool.getConnection()) {
                  c.isValid(1);
                } catch (SQLException e) {
                  // the pool closed under the waiter: the test is over
                }
              },
              "probe-contract-waiter-" + i);
      waiters.add(waiter);
      waiter.start();
    }
    long end = System.nanoTime() + deadline().toNanos();
    while (pool.getHikariPoolMXBean().getThreadsAwaitingConnection() < 2) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("no thread waited for the pool by the deadline");
      }
      Thread.sleep(10);
    }
    return "pool exhausted: 2 threads waiting";
  }
}
