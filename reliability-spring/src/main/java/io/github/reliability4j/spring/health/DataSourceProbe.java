package io.github.reliability4j.spring.health;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import java.sql.Connection;
import javax.sql.DataSource;

/**
 * Borrows a connection and validates it with {@link Connection#isValid(int)} bounded by the probe's
 * deadline. The checker abandons a probe at its deadline, so an exhausted pool makes the probe fail
 * rather than hang the health endpoint.
 */
final class DataSourceProbe implements Probe {

  private final DataSource dataSource;

  DataSourceProbe(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  @Override
  public ProbeResult check(ProbeContext ctx) throws Exception {
    long start = System.nanoTime();
    try (Connection c = dataSource.getConnection()) {
      if (!c.isValid(Math.max(1, ctx.deadlineSeconds()))) {
        return ProbeResult.fail("connection is not valid");
      }
    }
    return ProbeResult.pass().toBuilder()
        .observed((System.nanoTime() - start) / 1_000_000, "ms")
        .build();
  }
}
