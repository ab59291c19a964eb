package io.github.reliability4j.test.mariadb;

import io.github.reliability4j.test.internal.OwnerFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/*
 * Design notes for maintainers.
 *
 * mariadb-install-db is the slowest step (about 2 s), so it runs once per JVM into a template
 * directory; every node of every cluster starts from a copy (about 20 MB with a 4 MB redo log).
 * MariaDB has no per-datadir identity (unlike MySQL's auto.cnf), so copies can replicate from each
 * other; server_id comes from the command line. install-db does not write a binary log, so a fresh
 * replica with an empty gtid_slave_pos replicates the primary's whole binlog from its start.
 *
 * Every server gets its own socket and pid file in the cluster directory: mariadbd's defaults point
 * at /run/mysqld, where the machine's own MariaDB lives. Unix socket paths are limited to 107
 * bytes, so a long java.io.tmpdir falls back to /tmp for the cluster directory.
 *
 * Processes are children of the JVM. close() and the shutdown hook send SIGTERM (a clean shutdown)
 * and SIGKILL after a grace period. A JVM killed with SIGKILL runs no hook; the owner file lets the
 * next JVM's first start stop such servers (only a mariadbd whose command line names the stale
 * directory) and delete the directory.
 */
final class LocalMariaDbCluster implements MariaDbCluster {

  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(LocalMariaDbCluster.class);

  static final String PREFIX = "reliability4j-mariadb-";
  private static final Duration POLL = Duration.ofMillis(20);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);
  private static final Set<LocalMariaDbCluster> OPEN = ConcurrentHashMap.newKeySet();
  private static final AtomicBoolean REAPED = new AtomicBoolean();
  private static Path template;

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  List<LocalMariaDbCluster> open = new ArrayList<>(OPEN);
                  // SIGTERM to every server first, so they shut down in parallel.
                  open.forEach(c -> c.nodes().forEach(Server::signalStop));
                  open.forEach(LocalMariaDbCluster::close);
                  deleteTemplate();
                },
                "reliability4j-mariadb-cleanup"));
  }

  private final MariaDbClusterConfig config;
  private final MariaDbBinaries binaries;
  private final Path dir;
  private final Server primary;
  private final List<MariaDbReplica> replicas;
  private volatile boolean closed;

  private LocalMariaDbCluster(MariaDbClusterConfig config, MariaDbBinaries binaries, Path dir) {
    this.config = config;
    this.binaries = binaries;
    this.dir = dir;
    this.primary = new Server(this, "primary", config.firstServerId(), freePort(), false);
    List<MariaDbReplica> rs = new ArrayList<>();
    for (int i = 0; i < config.replicas(); i++) {
      rs.add(new Replica(this, "replica-" + i, config.firstServerId() + 1 + i, freePort()));
    }
    this.replicas = List.copyOf(rs);
  }

  static LocalMariaDbCluster start(MariaDbClusterConfig config) {
    MariaDbBinaries binaries = MariaDbBinaries.require();
    Path tmp = tempRoot();
    reapOnce(tmp);
    Path dir;
    try {
      dir = Files.createTempDirectory(tmp, PREFIX);
      OwnerFiles.write(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a cluster directory in " + tmp, e);
    }
    LocalMariaDbCluster cluster = new LocalMariaDbCluster(config, binaries, dir);
    OPEN.add(cluster);
    Deadline deadline = Deadline.after(config.startupTimeout());
    try {
      Path source = template(binaries, tmp);
      for (Server s : cluster.nodes()) {
        copyTree(source, s.dataDir());
        s.launch();
      }
      for (Server s : cluster.nodes()) {
        s.awaitAccepting(deadline);
      }
      cluster.primary.execute("CREATE DATABASE IF NOT EXISTS test");
      for (MariaDbReplica r : cluster.replicas) {
        ((Replica) r).attach();
      }
      cluster.awaitReplicasCaughtUp(deadline.remaining());
      LOG.info("Started MariaDB cluster {} with {} replica(s)", dir, config.replicas());
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e instanceof IllegalStateException ise
          ? ise
          : new IllegalStateException("MariaDB cluster did not start: " + e.getMessage(), e);
    }
  }

  List<Server> nodes() {
    List<Server> all = new ArrayList<>();
    all.add(primary);
    replicas.forEach(r -> all.add((Server) r));
    return all;
  }

  @Override
  public MariaDbClusterConfig config() {
    return config;
  }

  @Override
  public MariaDbNode primary() {
    return primary;
  }

  @Override
  public List<MariaDbReplica> replicas() {
    return replicas;
  }

  @Override
  public MariaDbReplica replica(int index) {
    if (index < 0 || index >= replicas.size()) {
      throw new IndexOutOfBoundsException(
          "replica " + index + " requested, but the cluster has " + replicas.size());
    }
    return replicas.get(index);
  }

  @Override
  public void awaitReplicasCaughtUp(Duration deadline) {
    Deadline d = Deadline.after(deadline);
    for (MariaDbReplica r : replicas) {
      if (r.isRunning()) {
        ((Replica) r).awaitCaughtUp(d);
      }
    }
  }

  @Override
  public synchronized void resetReplicas() {
    Deadline d = Deadline.after(config.startupTimeout());
    for (MariaDbReplica r : replicas) {
      ((Replica) r).reset(d);
    }
    awaitReplicasCaughtUp(d.remaining());
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (Server s : nodes()) {
      s.signalStop();
    }
    for (Server s : nodes()) {
      s.awaitStopped();
    }
    OPEN.remove(this);
    deleteQuietly(dir);
  }

  @Override
  public String toString() {
    return "MariaDbCluster["
        + dir
        + ", primary port "
        + primary.port
        + ", replicas "
        + replicas.size()
        + "]";
  }

  // ---------------------------------------------------------------- servers

  /** One mariadbd process. */
  static class Server implements MariaDbNode {
    final LocalMariaDbCluster cluster;
    final String name;
    final int serverId;
    final int port;
    final boolean replica;
    private final DataSource dataSource;

    /** Without a default database: usable before {@code test} exists or has replicated. */
    final DataSource control;

    private volatile Process process;

    Server(LocalMariaDbCluster cluster, String name, int serverId, int port, boolean replica) {
      this.cluster = cluster;
      this.name = name;
      this.serverId = serverId;
      this.port = port;
      this.replica = replica;
      this.dataSource = new UrlDataSource(jdbcUrl());
      this.control =
          new UrlDataSource("jdbc:mariadb://127.0.0.1:" + port + "/?user=root&connectTimeout=2000");
    }

    Path dataDir() {
      return cluster.dir.resolve(name);
    }

    Path errorLog() {
      return cluster.dir.resolve(name + ".err");
    }

    synchronized void launch() {
      List<String> cmd = new ArrayList<>();
      cmd.add(cluster.binaries.mariadbd().toString());
      cmd.add("--no-defaults");
      if ("root".equals(System.getProperty("user.name"))) {
        cmd.add("--user=root");
      }
      cmd.add("--datadir=" + dataDir());
      cmd.add("--port=" + port);
      cmd.add("--bind-address=127.0.0.1");
      cmd.add("--socket=" + cluster.dir.resolve(name + ".sock"));
      cmd.add("--pid-file=" + cluster.dir.resolve(name + ".pid"));
      cmd.add("--log-error=" + errorLog());
      cmd.add("--server-id=" + serverId);
      cmd.add("--log-bin=" + name + "-bin");
      cmd.add("--relay-log=" + name + "-relay");
      cmd.add("--binlog-format=ROW");
      cmd.add("--gtid-strict-mode=1");
      cmd.add("--innodb-log-file-size=4M");
      cmd.add("--innodb-buffer-pool-size=32M");
      cmd.add("--innodb-flush-log-at-trx-commit=2");
      cmd.add("--sync-binlog=0");
      cmd.add("--skip-name-resolve");
      cmd.add("--performance-schema=0");
      cmd.add("--max-connections=300");
      if (replica) {
        cmd.add("--read-only=1");
      }
      cluster.config.serverOptions().forEach((k, v) -> cmd.add("--" + k + "=" + v));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.redirectErrorStream(true);
      pb.redirectOutput(
          ProcessBuilder.Redirect.appendTo(cluster.dir.resolve(name + ".out").toFile()));
      try {
        process = pb.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start mariadbd for " + name + ": " + e, e);
      }
    }

    void awaitAccepting(Deadline deadline) {
      String url = "jdbc:mariadb://127.0.0.1:" + port + "/?user=root&connectTimeout=1000";
      SQLException last = null;
      while (true) {
        Process p = process;
        if (p == null || !p.isAlive()) {
          throw new IllegalStateException(
              name + " (mariadbd on port " + port + ") exited during startup" + logTail());
        }
        try (Connection c = DriverManager.getConnection(url)) {
          return;
        } catch (SQLException e) {
          last = e;
          if (e.getMessage() != null && e.getMessage().contains("No suitable driver")) {
            throw noDriver(e);
          }
        }
        if (deadline.passed()) {
          throw new IllegalStateException(
              name + " (port " + port + ") does not accept connections: " + last + logTail(), last);
        }
        sleep(POLL);
      }
    }

    String logTail() {
      try {
        List<String> lines = Files.readAllLines(errorLog(), StandardCharsets.UTF_8);
        return "; last lines of "
            + errorLog()
            + ":\n  "
            + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
      } catch (IOException e) {
        return "; no error log at " + errorLog();
      }
    }

    void signalStop() {
      Process p = process;
      if (p != null && p.isAlive()) {
        p.destroy();
      }
    }

    synchronized void awaitStopped() {
      Process p = process;
      if (p == null) {
        return;
      }
      try {
        if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("{} did not shut down within {}; killing it", name, STOP_GRACE);
          p.destroyForcibly();
          p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      process = null;
    }

    void execute(String sql) {
      try (Connection c = control.getConnection();
          Statement s = c.createStatement()) {
        s.execute(sql);
      } catch (SQLException e) {
        throw new IllegalStateException(name + ": " + sql + " failed: " + e.getMessage(), e);
      }
    }

    String queryString(String sql) {
      try (Connection c = control.getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        return rs.next() ? rs.getString(1) : null;
      } catch (SQLException e) {
        throw new IllegalStateException(name + ": " + sql + " failed: " + e.getMessage(), e);
      }
    }

    void checkRunning() {
      if (!isRunning()) {
        throw new IllegalStateException(name + " is stopped; call start() first");
      }
    }

    @Override
    public DataSource dataSource() {
      return dataSource;
    }

    @Override
    public String jdbcUrl() {
      return "jdbc:mariadb://127.0.0.1:" + port + "/test?user=root&connectTimeout=2000";
    }

    @Override
    public int port() {
      return port;
    }

    @Override
    public int serverId() {
      return serverId;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean isRunning() {
      Process p = process;
      return p != null && p.isAlive();
    }

    @Override
    public String toString() {
      return name + "@127.0.0.1:" + port + " (server_id " + serverId + ")";
    }
  }

  /** A replica: a server plus the lag controls. */
  static final class Replica extends Server implements MariaDbReplica {
    private volatile long delaySeconds;

    Replica(LocalMariaDbCluster cluster, String name, int serverId, int port) {
      super(cluster, name, serverId, port, true);
    }

    void attach() {
      execute(
          "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT="
              + cluster.primary.port
              + ", MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos,"
              + " MASTER_CONNECT_RETRY=1");
      execute("START SLAVE");
    }

    synchronized void reset(Deadline deadline) {
      if (!isRunning()) {
        startWithin(deadline);
      }
      if (delaySeconds != 0) {
        setApplyDelay(Duration.ZERO);
      }
      execute("START SLAVE");
    }

    @Override
    public synchronized void stopReplication() {
      checkRunning();
      execute("STOP SLAVE SQL_THREAD");
    }

    @Override
    public synchronized void startReplication() {
      checkRunning();
      execute("START SLAVE SQL_THREAD");
    }

    @Override
    public boolean isReplicationStopped() {
      checkRunning();
      return !"Yes".equalsIgnoreCase(slaveStatus().get("Slave_SQL_Running"));
    }

    Map<String, String> slaveStatus() {
      try (Connection c = control.getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
        Map<String, String> out = new HashMap<>();
        if (rs.next()) {
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            out.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
          }
        }
        return out;
      } catch (SQLException e) {
        throw new IllegalStateException(name + ": SHOW SLAVE STATUS failed: " + e.getMessage(), e);
      }
    }

    @Override
    public synchronized void setApplyDelay(Duration delay) {
      if (delay == null || delay.isNegative() || delay.getNano() != 0) {
        throw new IllegalArgumentException(
            "delay must be a non-negative whole number of seconds, but was " + delay);
      }
      checkRunning();
      boolean sqlStopped = isReplicationStopped();
      execute("STOP SLAVE");
      execute("CHANGE MASTER TO MASTER_DELAY=" + delay.getSeconds());
      execute(sqlStopped ? "START SLAVE IO_THREAD" : "START SLAVE");
      delaySeconds = delay.getSeconds();
    }

    @Override
    public void awaitCaughtUp(Duration deadline) {
      awaitCaughtUp(Deadline.after(deadline));
    }

    void awaitCaughtUp(Deadline deadline) {
      checkRunning();
      String target = cluster.primary.queryString("SELECT @@gtid_binlog_pos");
      while (true) {
        double seconds = Math.max(0.05, Math.min(1.0, deadline.remaining().toMillis() / 1000.0));
        try (Connection c = control.getConnection();
            PreparedStatement ps = c.prepareStatement("SELECT MASTER_GTID_WAIT(?, ?)")) {
          ps.setString(1, target);
          ps.setDouble(2, seconds);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getInt(1) == 0) {
              return;
            }
          }
        } catch (SQLException e) {
          if (deadline.passed()) {
            throw new IllegalStateException(name + ": MASTER_GTID_WAIT failed: " + e, e);
          }
        }
        if (deadline.passed()) {
          Map<String, String> st = slaveStatus();
          String pos = gtidSlavePos();
          throw new MariaDbReplicationTimeoutException(
              name
                  + " has not applied the primary's position "
                  + target
                  + " (its gtid_slave_pos is "
                  + pos
                  + ", Slave_IO_Running="
                  + st.get("Slave_IO_Running")
                  + ", Slave_SQL_Running="
                  + st.get("Slave_SQL_Running")
                  + ", SQL_Delay="
                  + st.get("SQL_Delay")
                  + ", Last_Error="
                  + st.get("Last_Error")
                  + ")",
              name,
              target,
              pos,
              deadline.total);
        }
      }
    }

    @Override
    public String gtidSlavePos() {
      checkRunning();
      String pos = queryString("SELECT @@gtid_slave_pos");
      return pos == null ? "" : pos;
    }

    @Override
    public synchronized void stop() {
      signalStop();
      awaitStopped();
    }

    @Override
    public synchronized void start() {
      startWithin(Deadline.after(cluster.config.startupTimeout()));
    }

    private void startWithin(Deadline deadline) {
      if (isRunning()) {
        return;
      }
      launch();
      awaitAccepting(deadline);
      while (true) {
        Map<String, String> st = slaveStatus();
        if ("Yes".equalsIgnoreCase(st.get("Slave_IO_Running"))
            && "Yes".equalsIgnoreCase(st.get("Slave_SQL_Running"))) {
          return;
        }
        if (deadline.passed()) {
          throw new IllegalStateException(
              name + " restarted but does not replicate: " + st + logTail());
        }
        sleep(POLL);
      }
    }
  }

  // ---------------------------------------------------------------- template, files, reaping

  private static synchronized Path template(MariaDbBinaries binaries, Path tmp) {
    if (template != null) {
      return template;
    }
    try {
      Path dir = Files.createTempDirectory(tmp, PREFIX + "template-");
      OwnerFiles.write(dir);
      Path data = dir.resolve("data");
      List<String> cmd = new ArrayList<>();
      cmd.add(binaries.installDb().toString());
      cmd.add("--no-defaults");
      if ("root".equals(System.getProperty("user.name"))) {
        cmd.add("--user=root");
      }
      cmd.add("--datadir=" + data);
      cmd.add("--auth-root-authentication-method=normal");
      cmd.add("--skip-test-db");
      cmd.add("--innodb-log-file-size=4M");
      Path log = dir.resolve("install-db.log");
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "mariadb-install-db failed: "
                + String.join(" ", cmd)
                + "\n"
                + Files.readString(log, StandardCharsets.UTF_8));
      }
      template = data;
      return data;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot initialise a MariaDB data directory", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while initialising MariaDB", e);
    }
  }

  private static synchronized void deleteTemplate() {
    if (template != null) {
      deleteQuietly(template.getParent());
      template = null;
    }
  }

  static Path tempRoot() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    // PREFIX + random + "/replica-15.sock" must fit a unix socket path (107 bytes).
    if (tmp.toAbsolutePath().toString().length() > 60 && Files.isDirectory(Path.of("/tmp"))) {
      return Path.of("/tmp");
    }
    return tmp;
  }

  static void reapOnce(Path tmp) {
    if (!REAPED.compareAndSet(false, true)) {
      return;
    }
    reapStale(tmp);
  }

  /**
   * Stops the servers of every cluster directory in {@code tmp} whose owner JVM is gone and deletes
   * the directory; {@link #reapOnce} runs it before this JVM's first start.
   */
  static void reapStale(Path tmp) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, PREFIX + "*")) {
      for (Path d : dirs) {
        if (Files.isDirectory(d) && OwnerFiles.isStale(d, Duration.ofMinutes(10))) {
          LOG.info("Removing a MariaDB cluster left behind by a dead JVM: {}", d);
          stopStaleServers(d);
          deleteQuietly(d);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not look for stale MariaDB clusters in {}: {}", tmp, e.toString());
    }
  }

  private static void stopStaleServers(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path pidFile :
          (Iterable<Path>) files.filter(f -> f.toString().endsWith(".pid"))::iterator) {
        try {
          long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
          Optional<ProcessHandle> h = ProcessHandle.of(pid);
          // Only a mariadbd serving exactly this directory is ours to stop.
          if (h.isPresent()
              && h.get().info().command().orElse("").endsWith("mariadbd")
              && String.join(" ", h.get().info().arguments().orElse(new String[0]))
                  .contains(dir.toString())) {
            h.get().destroy();
            Deadline d = Deadline.after(STOP_GRACE);
            while (h.get().isAlive() && !d.passed()) {
              sleep(POLL);
            }
            if (h.get().isAlive()) {
              h.get().destroyForcibly();
            }
          }
        } catch (IOException | RuntimeException e) {
          LOG.debug("Could not stop the stale server of {}: {}", pidFile, e.toString());
        }
      }
    }
  }

  static void copyTree(Path from, Path to) {
    try {
      Files.walkFileTree(
          from,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
                throws IOException {
              Files.createDirectories(to.resolve(from.relativize(d)));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
              Files.copy(f, to.resolve(from.relativize(f)), StandardCopyOption.COPY_ATTRIBUTES);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    }
  }

  static void deleteQuietly(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
              Files.deleteIfExists(f);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      LOG.warn("Could not delete {}: {}", root, e.toString());
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }

  static void sleep(Duration d) {
    try {
      TimeUnit.NANOSECONDS.sleep(d.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static IllegalStateException noDriver(SQLException e) {
    return new IllegalStateException(
        "the MariaDB test kit needs a JDBC driver on the class path: add"
            + " org.mariadb.jdbc:mariadb-java-client (test scope)",
        e);
  }

  /** A deadline measured with System.nanoTime. */
  static final class Deadline {
    final Duration total;
    private final long end;

    private Deadline(Duration total) {
      this.total = total;
      this.end = System.nanoTime() + total.toNanos();
    }

    static Deadline after(Duration d) {
      return new Deadline(d);
    }

    boolean passed() {
      return System.nanoTime() - end > 0;
    }

    Duration remaining() {
      return Duration.ofNanos(Math.max(0, end - System.nanoTime()));
    }
  }

  /** A non-pooled DataSource over DriverManager. */
  static final class UrlDataSource implements DataSource {
    private final String url;
    private volatile int loginTimeout;

    UrlDataSource(String url) {
      this.url = url;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return DriverManager.getConnection(url);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      throw new SQLFeatureNotSupportedException("the URL carries the credentials: " + url);
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {
      loginTimeout = seconds;
    }

    @Override
    public int getLoginTimeout() {
      return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(this)) {
        return iface.cast(this);
      }
      throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return iface.isInstance(this);
    }

    @Override
    public String toString() {
      return "DataSource[" + url + "]";
    }
  }
}
