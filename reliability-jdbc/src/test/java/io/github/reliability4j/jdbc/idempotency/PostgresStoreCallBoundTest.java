package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.test.postgres.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link AbstractStoreCallBoundTest} on an embedded PostgreSQL of its own (own port, own
 * processes): the stop sends SIGSTOP to the postmaster and every process under it.
 */
class PostgresStoreCallBoundTest extends AbstractStoreCallBoundTest {

  private static PostgresCluster cluster;

  @BeforeAll
  static void startServer() {
    cluster = PostgresCluster.start(0);
  }

  @AfterAll
  static void stopServer() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  String jdbcUrl() {
    return cluster.primary().jdbcUrl();
  }

  @Override
  DataSource plain() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(jdbcUrl());
    return ds;
  }

  @Override
  String tablePrefix() {
    return "i18c_bound_pg";
  }

  @Override
  ProcessHandle serverProcess(Connection c) throws SQLException {
    long backend;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      backend = rs.getLong(1);
    }
    return ProcessHandle.of(backend)
        .flatMap(ProcessHandle::parent)
        .orElseThrow(() -> new IllegalStateException("no postmaster above backend " + backend));
  }
}
