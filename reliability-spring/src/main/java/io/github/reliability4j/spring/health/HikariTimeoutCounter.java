package io.github.reliability4j.spring.health;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.BeanFactory;

/**
 * Reads HikariCP's cumulative acquire-timeout counter ({@code hikaricp.connections.timeout}, tag
 * {@code pool}) from the application's MeterRegistry; 0 while there is no registry or the pool's
 * metrics are not bound yet. Only loaded when Micrometer is on the class path.
 */
final class HikariTimeoutCounter implements LongSupplier {
  private final HikariDataSource pool;
  private final BeanFactory beans;
  private volatile MeterRegistry registry;

  private HikariTimeoutCounter(HikariDataSource pool, BeanFactory beans) {
    this.pool = pool;
    this.beans = beans;
  }

  static LongSupplier of(HikariDataSource pool, BeanFactory beans) {
    return new HikariTimeoutCounter(pool, beans);
  }

  @Override
  public long getAsLong() {
    MeterRegistry r = registry;
    if (r == null) {
      // looked up at the first check, not at start-up: the registry may be created after us
      r = beans.getBeanProvider(MeterRegistry.class).getIfUnique();
      if (r == null) {
        return 0;
      }
      registry = r;
    }
    Counter c = r.find("hikaricp.connections.timeout").tag("pool", pool.getPoolName()).counter();
    return c == null ? 0 : (long) c.count();
  }
}
