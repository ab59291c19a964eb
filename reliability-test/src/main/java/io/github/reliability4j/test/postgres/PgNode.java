package io.github.reliability4j.test.postgres;

import io.github.reliability4j.test.postgres.EmbeddedPostgresCluster.Deadline;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A server of the cluster; the primary is a plain PgNode. */
class PgNode implements PostgresNode {

  private static final Logger LOG = LoggerFactory.getLogger(PgNode.class);

  static final int CONNECT_TIMEOUT_SECONDS = 2;
  static final int LOGIN_TIMEOUT_SECONDS = 5;
  static final int SOCKET_TIMEOUT_SECONDS = 60;

  final EmbeddedPostgresCluster cluster;
  final Path dataDir;
  final Path logFile;
  private final String name;
  private final int port;
  private final PGSimpleDataSource dataSource;
  private final String jdbcUrl;
  private volatile EmbeddedPostgres server; // written under this

  PgNode(EmbeddedPostgresCluster cluster, String name, int port, Path dataDir) {
    this.cluster = cluster;
    this.name = name;
    this.port = port;
    this.dataDir = dataDir;
    this.logFile = dataDir.resolveSibling(name + ".log");
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"localhost"});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
    ds.setLoginTimeout(LOGIN_TIMEOUT_SECONDS);
    ds.setSocketTimeout(SOCKET_TIMEOUT_SECONDS);
    ds.setApplicationName("reliability4j-test");
    this.dataSource = ds;
    this.jdbcUrl =
        "jdbc:postgresql://localhost:"
            + port
            + "/postgres?user=postgres&connectTimeout="
            + CONNECT_TIMEOUT_SECONDS
            + "&loginTimeout="
            + LOGIN_TIMEOUT_SECONDS
            + "&socketTimeout="
            + SOCKET_TIMEOUT_SECONDS;
  }

  @Override
  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public String jdbcUrl() {
    return jdbcUrl;
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isRunning() {
    return server != null;
  }

  @Override
  public String toString() {
    return name + "(port " + port + (isRunning() ? ", running" : ", stopped") + ")";
  }

  /**
   * Starts the server on its port and checks that the server answering there is this node.
   *
   * @param firstStart whether a port conflict means the user's port choice (primary) rather than a
   *     port taken while the node was stopped
   */
  synchronized void startServer(Deadline deadline, boolean firstStart) {
    if (server != null) {
      return;
    }
    cluster.requireOpen("start " + name);
    if (!EmbeddedPostgresCluster.isPortFree(port)) {
      throw new IllegalStateException(portInUseMessage(firstStart));
    }
    Duration wait = deadline.remaining();
    if (wait.isZero()) {
      throw new IllegalStateException(
          "cannot start "
              + name
              + ": startupTimeout="
              + cluster.clusterConfig().startupTimeout()
              + " already passed; raise ClusterConfig.startupTimeout(...) on a slow machine");
    }
    try {
      Files.createDirectories(dataDir);
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
      server =
          ServerLauncher.start(
              EmbeddedPostgresCluster.serverBuilder(
                  dataDir, port, cluster.commandLineSettings(), logFile, wait),
              logFile,
              name);
    } catch (IOException | RuntimeException e) {
      stopOrphan();
      throw new IllegalStateException(
          "cannot start "
              + name
              + " on port "
              + port
              + " within "
              + wait
              + ": "
              + e.getMessage()
              + logTail(),
          e);
    }
    verifyIdentity();
  }

  private String portInUseMessage(boolean firstStart) {
    if (firstStart && "primary".equals(name) && cluster.clusterConfig().primaryPort() != 0) {
      return "cannot start primary: port "
          + port
          + " on localhost is in use by another process. Choose another"
          + " ClusterConfig.primaryPort(...), or leave it 0 so the kit picks a free port";
    }
    if (firstStart) {
      return "cannot start "
          + name
          + ": port "
          + port
          + " that the kit picked as free was taken by another process before the server"
          + " started; start the cluster again";
    }
    return "cannot restart "
        + name
        + ": its port "
        + port
        + " was taken by another process while it was stopped (a node keeps its port so that"
        + " existing DataSources stay valid); free the port or start a new cluster";
  }

  /** Guards against a foreign server that grabbed the port between the check and the start. */
  private void verifyIdentity() {
    String reported;
    try {
      reported = queryString("SHOW data_directory");
    } catch (IllegalStateException e) {
      reported = null;
    }
    try {
      if (reported == null || !Files.isSameFile(Path.of(reported), dataDir.toAbsolutePath())) {
        throw new IllegalStateException(
            "the server answering on port "
                + port
                + " is not "
                + name
                + " (its data_directory is "
                + reported
                + "); another process took the port. Start the cluster again");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot verify data directory of " + name, e);
    }
  }

  synchronized void stopServer() {
    EmbeddedPostgres running = server;
    if (running == null) {
      return;
    }
    server = null;
    try {
      running.close();
    } catch (IOException e) {
      LOG.warn("pg_ctl stop of {} failed: {}", name, e.toString());
    }
    stopOrphan();
  }

  /**
   * Immediate shutdown, as in a crash: SIGQUIT to the postmaster (no shutdown checkpoint, clients
   * and walsenders cut off at once), then waits until it has exited. Falls back to a fast stop when
   * the postmaster's pid cannot be read.
   */
  synchronized void kill() {
    EmbeddedPostgres running = server;
    if (running == null) {
      return;
    }
    Optional<ProcessHandle> postmaster = postmaster();
    if (postmaster.isEmpty()) {
      stopServer();
      return;
    }
    server = null;
    ProcessHandle handle = postmaster.get();
    try {
      Process kill =
          new ProcessBuilder("kill", "-QUIT", Long.toString(handle.pid()))
              .redirectErrorStream(true)
              .start();
      kill.waitFor();
    } catch (IOException e) {
      LOG.warn("kill -QUIT of {} failed: {}", name, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Deadline deadline = Deadline.after(Duration.ofSeconds(10));
    while (handle.isAlive() && !deadline.passed()) {
      EmbeddedPostgresCluster.sleepPollInterval();
    }
    if (handle.isAlive()) {
      handle.destroyForcibly();
    }
  }

  private Optional<ProcessHandle> postmaster() {
    Path pidFile = dataDir.resolve("postmaster.pid");
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
      return lines.isEmpty()
          ? Optional.empty()
          : ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  void stopQuietly() {
    try {
      stopServer();
    } catch (RuntimeException e) {
      LOG.warn("Could not stop {}: {}", name, e.toString());
    }
  }

  /**
   * Stops a postmaster that runs on this node's data directory without a handle: after a start that
   * timed out, or a pg_ctl stop that failed.
   */
  void stopOrphan() {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
      if (lines.isEmpty()) {
        return;
      }
      long pid = Long.parseLong(lines.get(0).trim());
      Optional<ProcessHandle> process = ProcessHandle.of(pid);
      if (process.isEmpty()) {
        return;
      }
      ProcessHandle handle = process.get();
      handle.destroy();
      Deadline deadline = Deadline.after(Duration.ofSeconds(5));
      while (handle.isAlive() && !deadline.passed()) {
        EmbeddedPostgresCluster.sleepPollInterval();
      }
      if (handle.isAlive()) {
        handle.destroyForcibly();
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not stop orphaned postmaster of {}: {}", name, e.toString());
    }
  }

  String logTail() {
    try {
      if (!Files.exists(logFile)) {
        return "";
      }
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      List<String> tail = lines.subList(Math.max(0, lines.size() - 12), lines.size());
      return "\n--- last lines of " + logFile + " ---\n" + String.join("\n", tail);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  String queryString(String sql) {
    try (Connection c = dataSource.getConnection()) {
      return EmbeddedPostgresCluster.queryString(c, sql);
    } catch (SQLException e) {
      throw new IllegalStateException(name + " (port " + port + "): " + e.getMessage(), e);
    }
  }

  void execute(String sql) {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(name + " (port " + port + "): " + e.getMessage(), e);
    }
  }
}
