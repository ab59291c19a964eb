package io.github.reliability4j.jdbc.idempotency;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The longest a pool's {@code getConnection()} can block, where the store can know it. Only
 * HikariCP is recognised (also behind wrappers that implement {@link DataSource#unwrap}, such as
 * Spring's delegating data sources): a borrow waits at most {@code connectionTimeout} for a
 * connection, and a connection found dead on the way costs at most one more validation before the
 * wait ends ({@code validationTimeout}, but at least the one second that HikariCP passes to {@link
 * java.sql.Connection#isValid}), so the bound is {@code connectionTimeout + max(1 s,
 * validationTimeout)}. A pool that allows suspension ({@code allowPoolSuspension}) can block a
 * borrow indefinitely while suspended and has no bound; nor has a pool that has not started yet (a
 * lazily started {@code HikariDataSource} before its first borrow). Any other {@link DataSource}
 * has no known bound.
 *
 * <p>The values are read live, so a change through HikariCP's MXBean is seen by the next borrow.
 */
abstract class PoolWait {

  private static final boolean HIKARI_PRESENT = present("com.zaxxer.hikari.HikariDataSource");

  /** The bound for {@code dataSource}'s pool, or null if none is known. */
  static PoolWait of(DataSource dataSource) {
    return HIKARI_PRESENT ? Hikari.of(dataSource) : null;
  }

  /** The current bound in milliseconds, or -1 if there is none now. */
  abstract long millis();

  /** The pool and its settings, for messages. */
  abstract String describe();

  private static boolean present(String className) {
    try {
      Class.forName(className, false, PoolWait.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** HikariCP; loaded only when HikariCP is on the class path. */
  private static final class Hikari extends PoolWait {
    private final HikariDataSource pool;

    private Hikari(HikariDataSource pool) {
      this.pool = pool;
    }

    static PoolWait of(DataSource dataSource) {
      try {
        if (dataSource instanceof HikariDataSource h) {
          return new Hikari(h);
        }
        if (dataSource.isWrapperFor(HikariDataSource.class)) {
          return new Hikari(dataSource.unwrap(HikariDataSource.class));
        }
      } catch (SQLException | RuntimeException e) {
        // A wrapper that cannot say: no known bound.
      }
      return null;
    }

    @Override
    long millis() {
      if (pool.isAllowPoolSuspension() || !pool.isRunning()) {
        return -1;
      }
      // HikariCP validates with isValid(max(1 s, validationTimeout) in whole seconds) under a
      // network timeout of validationTimeout; a driver may honour either.
      return pool.getConnectionTimeout() + Math.max(1000L, pool.getValidationTimeout());
    }

    @Override
    String describe() {
      return "HikariCP pool '"
          + pool.getPoolName()
          + "' (connectionTimeout "
          + pool.getConnectionTimeout()
          + " ms + validation up to "
          + Math.max(1000L, pool.getValidationTimeout())
          + " ms"
          + (pool.isAllowPoolSuspension() ? ", allowPoolSuspension" : "")
          + (pool.isRunning() ? "" : ", not running")
          + ")";
    }
  }
}
