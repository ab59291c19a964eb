package io.github.reliability4j.test.postgres;

import io.github.reliability4j.test.postgres.EmbeddedPostgresCluster.Deadline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

final class PgReplica extends PgNode implements ReplicaNode {

  private final int index;

  PgReplica(EmbeddedPostgresCluster cluster, int index, int port, Path dataDir) {
    super(cluster, "replica-" + index, port, dataDir);
    this.index = index;
  }

  String slotName() {
    return "reliability4j_replica_" + index;
  }

  /** Turns a copy of the template into a standby of the primary. */
  void configureAsStandby(int primaryPort) {
    try {
      Files.createFile(dataDir.resolve("standby.signal"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create standby.signal in " + dataDir, e);
    }
    int conninfoPort = cluster.clusterConfig().replicaConninfoPortForTesting();
    String conninfo =
        "host=localhost port="
            + (conninfoPort != 0 ? conninfoPort : primaryPort)
            + " user=postgres application_name="
            + name().replace('-', '_');
    EmbeddedPostgresCluster.appendTo(
        dataDir.resolve("postgresql.auto.conf"),
        "\n# reliability4j test kit replica settings\n"
            + EmbeddedPostgresCluster.confLine("primary_conninfo", conninfo)
            + EmbeddedPostgresCluster.confLine("primary_slot_name", slotName()));
  }

  /** Polls pg_stat_wal_receiver until its status is 'streaming'. */
  void awaitStreaming(Deadline deadline) {
    String status = null;
    String lastError = null;
    while (true) {
      try (Connection c = dataSource().getConnection()) {
        while (true) {
          status =
              EmbeddedPostgresCluster.queryString(c, "SELECT status FROM pg_stat_wal_receiver");
          if ("streaming".equals(status)) {
            return;
          }
          if (deadline.passed()) {
            break;
          }
          EmbeddedPostgresCluster.sleepPollInterval();
        }
      } catch (SQLException e) {
        lastError = e.getMessage();
      }
      if (deadline.passed()) {
        throw new IllegalStateException(
            name()
                + " (port "
                + port()
                + ") did not reach WAL receiver status 'streaming' within startupTimeout="
                + cluster.clusterConfig().startupTimeout()
                + ": last status was "
                + (status == null ? "none (no WAL receiver running)" : "'" + status + "'")
                + (lastError == null ? "" : ", last error: " + lastError)
                + ". The replica cannot stream from the primary; see its log"
                + logTail());
      }
      EmbeddedPostgresCluster.sleepPollInterval();
    }
  }

  void reset(Deadline deadline) {
    synchronized (this) {
      if (!isRunning()) {
        startServer(deadline, false);
        awaitStreaming(deadline);
        return;
      }
    }
    if (isReplayPaused()) {
      resumeReplay();
    }
    if (!"0"
        .equals(
            queryString(
                "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'"))) {
      setApplyDelay(Duration.ZERO);
    }
  }

  private void requireRunning(String operation) {
    cluster.requireOpen(operation + " on " + name());
    if (!isRunning()) {
      throw new IllegalStateException(
          "cannot " + operation + " on " + name() + ": it is stopped; call start() first");
    }
  }

  @Override
  public synchronized void pauseReplay() {
    requireRunning("pauseReplay");
    execute("SELECT pg_wal_replay_pause()");
  }

  @Override
  public synchronized void resumeReplay() {
    requireRunning("resumeReplay");
    execute("SELECT pg_wal_replay_resume()");
  }

  @Override
  public boolean isReplayPaused() {
    requireRunning("isReplayPaused");
    return "t".equals(queryString("SELECT pg_is_wal_replay_paused()"));
  }

  @Override
  public void awaitCaughtUp(Duration deadline) {
    EmbeddedPostgresCluster.requireDeadline(deadline);
    requireRunning("awaitCaughtUp");
    awaitReplayed(cluster.primaryInsertLsn(), Deadline.after(deadline), deadline);
  }

  void awaitReplayed(long target, Deadline until, Duration deadline) {
    requireRunning("awaitCaughtUp");
    long replayed = 0;
    boolean flushed = false;
    try (Connection c = dataSource().getConnection()) {
      while (true) {
        replayed = Lsn.parse(EmbeddedPostgresCluster.queryString(c, REPLAY_LSN));
        if (Lsn.compare(replayed, target) >= 0) {
          return;
        }
        if (!flushed) {
          cluster.ensurePrimaryFlushed(target);
          flushed = true;
        }
        if (until.passed()) {
          break;
        }
        EmbeddedPostgresCluster.sleepPollInterval();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot read the replay position of " + name() + ": " + e.getMessage(), e);
    }
    throw new ReplicationTimeoutException(
        name()
            + " (port "
            + port()
            + ") did not replay up to the primary's "
            + Lsn.format(target)
            + " within "
            + deadline
            + ": replay LSN is "
            + Lsn.format(replayed)
            + " ("
            + (target - replayed)
            + " bytes behind)"
            + describeState(),
        name(),
        Lsn.format(target),
        Lsn.format(replayed),
        deadline);
  }

  private String describeState() {
    try (Connection c = dataSource().getConnection()) {
      String paused = EmbeddedPostgresCluster.queryString(c, "SELECT pg_is_wal_replay_paused()");
      String delay = EmbeddedPostgresCluster.queryString(c, "SHOW recovery_min_apply_delay");
      String status =
          EmbeddedPostgresCluster.queryString(c, "SELECT status FROM pg_stat_wal_receiver");
      return "; replay paused: "
          + ("t".equals(paused) ? "yes (call resumeReplay())" : "no")
          + "; recovery_min_apply_delay: "
          + delay
          + "; WAL receiver: "
          + (status == null ? "not running" : status);
    } catch (SQLException e) {
      return "; replica state unavailable: " + e.getMessage();
    }
  }

  private static final String REPLAY_LSN = "SELECT pg_last_wal_replay_lsn()::text";

  @Override
  public synchronized void stop() {
    cluster.requireOpen("stop " + name());
    stopServer();
  }

  @Override
  public synchronized void start() {
    cluster.requireOpen("start " + name());
    if (isRunning()) {
      return;
    }
    Deadline deadline = Deadline.after(cluster.clusterConfig().startupTimeout());
    startServer(deadline, false);
    awaitStreaming(deadline);
  }

  @Override
  public long replayLagBytes() {
    requireRunning("replayLagBytes");
    long replayed = Lsn.parse(queryString(REPLAY_LSN));
    long inserted = cluster.primaryInsertLsn();
    return Math.max(0L, inserted - replayed);
  }

  @Override
  public String replayLsn() {
    requireRunning("replayLsn");
    return queryString(REPLAY_LSN);
  }

  @Override
  public synchronized void setApplyDelay(Duration delay) {
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException(
          "apply delay must be zero (no delay) or positive, but was " + delay);
    }
    long millis = delay.toMillis();
    if (Duration.ofMillis(millis).compareTo(delay) != 0 || millis > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "apply delay must be a whole number of milliseconds up to "
              + Integer.MAX_VALUE
              + " ms (recovery_min_apply_delay), but was "
              + delay);
    }
    requireRunning("setApplyDelay");
    if (millis == 0) {
      execute("ALTER SYSTEM RESET recovery_min_apply_delay");
    } else {
      execute("ALTER SYSTEM SET recovery_min_apply_delay = '" + millis + "ms'");
    }
    execute("SELECT pg_reload_conf()");
    // New backends fork from the postmaster, so once one sees the value the postmaster has
    // reloaded and signalled the startup process.
    Deadline deadline = Deadline.after(Duration.ofSeconds(10));
    String seen;
    while (!(seen =
            queryString("SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'"))
        .equals(Long.toString(millis))) {
      if (deadline.passed()) {
        throw new IllegalStateException(
            name()
                + " did not apply recovery_min_apply_delay="
                + millis
                + "ms after pg_reload_conf() within 10 s; it still reports "
                + seen
                + logTail());
      }
      EmbeddedPostgresCluster.sleepPollInterval();
    }
  }

  @Override
  public synchronized void promote() {
    cluster.requireOwnCluster("promote");
    requireRunning("promote");
    if ("f".equals(queryString("SELECT pg_is_in_recovery()"))) {
      return;
    }
    if (!"t".equals(queryString("SELECT pg_promote(true, 60)"))) {
      throw new IllegalStateException(
          "pg_promote() on " + name() + " did not finish within 60 s" + logTail());
    }
    Deadline deadline = Deadline.after(cluster.clusterConfig().startupTimeout());
    while (!"f".equals(queryString("SELECT pg_is_in_recovery()"))) {
      if (deadline.passed()) {
        throw new IllegalStateException(name() + " is still in recovery after pg_promote()");
      }
      EmbeddedPostgresCluster.sleepPollInterval();
    }
  }

  @Override
  public synchronized void disconnect() {
    cluster.requireOwnCluster("disconnect");
    requireRunning("disconnect");
    execute("ALTER SYSTEM SET primary_conninfo = ''");
    execute("SELECT pg_reload_conf()");
    Deadline deadline = Deadline.after(cluster.clusterConfig().startupTimeout());
    while (queryString("SELECT status FROM pg_stat_wal_receiver") != null) {
      if (deadline.passed()) {
        throw new IllegalStateException(name() + ": the WAL receiver did not stop" + logTail());
      }
      EmbeddedPostgresCluster.sleepPollInterval();
    }
  }

  @Override
  public synchronized void follow(PostgresNode newPrimary) {
    cluster.requireOwnCluster("follow");
    requireRunning("follow");
    try (Connection c = newPrimary.dataSource().getConnection();
        java.sql.Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_create_physical_replication_slot('"
              + slotName()
              + "') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '"
              + slotName()
              + "')");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create slot " + slotName() + " on " + newPrimary.name() + ": " + e.getMessage(),
          e);
    }
    String conninfo =
        "host=localhost port="
            + newPrimary.port()
            + " user=postgres application_name="
            + name().replace('-', '_');
    execute("ALTER SYSTEM SET primary_conninfo = '" + conninfo + "'");
    execute("ALTER SYSTEM SET primary_slot_name = '" + slotName() + "'");
    execute("SELECT pg_reload_conf()");
    String timeline =
        EmbeddedPostgresCluster.queryStringOn(
            newPrimary,
            "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int");
    String target =
        EmbeddedPostgresCluster.queryStringOn(
            newPrimary, "SELECT pg_current_wal_insert_lsn()::text");
    Deadline deadline = Deadline.after(cluster.clusterConfig().startupTimeout());
    while (true) {
      String state =
          queryString(
              "SELECT coalesce((SELECT status || ' tli ' || received_tli FROM"
                  + " pg_stat_wal_receiver), 'no WAL receiver')");
      boolean replayed =
          "t".equals(queryString("SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn"));
      if (state.equals("streaming tli " + timeline) && replayed) {
        return;
      }
      if (deadline.passed()) {
        throw new IllegalStateException(
            name()
                + " cannot follow "
                + newPrimary.name()
                + " (timeline "
                + timeline
                + ", position "
                + target
                + ") within startupTimeout="
                + cluster.clusterConfig().startupTimeout()
                + ": WAL receiver "
                + state
                + ", replayed "
                + replayLsn()
                + ". A replica that replayed past the promotion point needs pg_rewind"
                + logTail());
      }
      EmbeddedPostgresCluster.sleepPollInterval();
    }
  }
}
