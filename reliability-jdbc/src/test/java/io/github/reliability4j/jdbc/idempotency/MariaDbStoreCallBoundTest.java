package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.test.mariadb.MariaDbCluster;
import io.github.reliability4j.test.mariadb.ReplicatedMariaDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link AbstractStoreCallBoundTest} on the test kit's MariaDB primary on its own port (skipped, or
 * failed under RELIABILITY_REQUIRE_SERVICES=true, where mariadbd is not installed): the stop sends
 * SIGSTOP to its one {@code mariadbd} process.
 */
@ReplicatedMariaDb(replicas = 0)
class MariaDbStoreCallBoundTest extends AbstractStoreCallBoundTest {

  private static MariaDbCluster cluster;

  @BeforeAll
  static void server(MariaDbCluster c) {
    cluster = c;
  }

  @Override
  String jdbcUrl() {
    return cluster.primary().jdbcUrl();
  }

  @Override
  DataSource plain() {
    return cluster.primary().dataSource();
  }

  @Override
  String tablePrefix() {
    return "i18c_bound_maria";
  }

  @Override
  ProcessHandle serverProcess(Connection c) throws SQLException {
    String pidFile;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT @@pid_file")) {
      rs.next();
      pidFile = rs.getString(1);
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(Path.of(pidFile)).trim());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read mariadbd's pid file " + pidFile, e);
    }
    return ProcessHandle.of(pid)
        .orElseThrow(() -> new IllegalStateException("no mariadbd process " + pid));
  }
}
