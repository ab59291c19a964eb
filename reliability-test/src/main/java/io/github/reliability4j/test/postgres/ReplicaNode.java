package io.github.reliability4j.test.postgres;

import java.time.Duration;

/**
 * A hot-standby replica with a lag controller: pause and resume WAL replay, delay replay, stop and
 * restart the server, and wait until it has caught up with the primary.
 *
 * <p>The replica streams WAL from the primary through a physical replication slot, so WAL needed by
 * a stopped or paused replica is kept on the primary until the replica has replayed it.
 *
 * <p>Thread-safe. Methods that change the replica's state ({@link #stop()}, {@link #start()},
 * {@link #pauseReplay()}, {@link #resumeReplay()}, {@link #setApplyDelay(Duration)}) are serialized
 * per replica. Every method other than {@link #start()}, {@link #stop()} and the {@link
 * PostgresNode} accessors needs the replica to be running and throws {@link IllegalStateException}
 * otherwise.
 */
public interface ReplicaNode extends PostgresNode {

  /**
   * Pauses WAL replay ({@code pg_wal_replay_pause()}). The replica keeps receiving WAL but applies
   * no further record, so rows committed on the primary after this call returns stay invisible here
   * until {@link #resumeReplay()}. Idempotent. The pause does not survive {@link #stop()}: a
   * restarted replica replays again.
   */
  void pauseReplay();

  /** Resumes WAL replay ({@code pg_wal_replay_resume()}). Idempotent. */
  void resumeReplay();

  /** Whether replay is paused or a pause was requested ({@code pg_is_wal_replay_paused()}). */
  boolean isReplayPaused();

  /**
   * Waits until this replica has replayed the primary's WAL up to the primary's {@code
   * pg_current_wal_insert_lsn()} as read when this method starts, so every transaction committed on
   * the primary before the call is visible here afterwards.
   *
   * <p>Because the embedded servers run with {@code synchronous_commit=off}, the tail of the WAL
   * may not yet be flushed on the primary; this method then commits one tiny transaction with
   * {@code synchronous_commit=on} on the primary to force the flush (it consumes a transaction id
   * and writes no rows).
   *
   * @param deadline how long to wait at most
   * @throws ReplicationTimeoutException if the replica has not caught up when the deadline passes;
   *     its message carries the target and replay LSNs and whether replay is paused
   * @throws IllegalStateException if the replica is stopped
   */
  void awaitCaughtUp(Duration deadline);

  /**
   * Stops the server ({@code pg_ctl stop -m fast}): a dead replica. New connections are refused and
   * open ones are closed. Idempotent. The data directory, port and replication slot are kept, so
   * {@link #start()} brings the same replica back.
   */
  void stop();

  /**
   * Starts a stopped replica again on the same port and waits until its WAL receiver is {@code
   * streaming} (within the cluster's startup timeout). Replay is not paused afterwards; an apply
   * delay set with {@link #setApplyDelay(Duration)} is kept. It then catches up on the WAL it
   * missed, but this method does not wait for that; call {@link #awaitCaughtUp(Duration)}. No-op
   * when running.
   *
   * @throws IllegalStateException if the port has been taken meanwhile, or the replica does not
   *     reach streaming in time
   */
  void start();

  /**
   * Bytes of WAL the replica has not yet replayed: {@code pg_wal_lsn_diff(primary's
   * pg_current_wal_insert_lsn(), replica's pg_last_wal_replay_lsn())}, never negative. Greater than
   * zero after a write on the primary while replay is paused. May be a few bytes above zero on an
   * idle, fully caught-up cluster when the primary's insert position sits just after a WAL page
   * header.
   */
  long replayLagBytes();

  /** The replica's replay position ({@code pg_last_wal_replay_lsn()}), e.g. {@code 0/3000148}. */
  String replayLsn();

  /**
   * Delays replay of each commit until it is at least {@code delay} old ({@code
   * recovery_min_apply_delay}, set with {@code ALTER SYSTEM} and {@code pg_reload_conf()}, so it
   * survives {@link #stop()}/{@link #start()}). {@link Duration#ZERO} removes the delay. The delay
   * is measured against the primary's commit timestamp, so it assumes both clocks agree (they do
   * here: same machine). The new value takes effect when the replica's startup process handles the
   * reload signal, normally within milliseconds of this method returning.
   *
   * @throws IllegalArgumentException if {@code delay} is null, negative, or not a whole number of
   *     milliseconds
   */
  void setApplyDelay(Duration delay);

  /**
   * Promotes this replica to a primary ({@code pg_promote(true, 60)}) and waits until it accepts
   * writes. It starts a new timeline; whatever it had not received from the old primary is not part
   * of it. Pause, apply delay and lag controls no longer apply to it afterwards. Usually preceded
   * by {@link PostgresCluster#stopPrimary()}.
   *
   * @throws IllegalStateException if the replica is stopped or does not finish promotion in time
   */
  void promote();

  /**
   * Makes this replica stream from {@code newPrimary} (a promoted replica): creates this replica's
   * replication slot there, rewrites {@code primary_conninfo} ({@code ALTER SYSTEM}, reload) and
   * waits until its WAL receiver streams on the new primary's timeline and it has replayed the new
   * primary's current position.
   *
   * @throws IllegalStateException if the replica is stopped, or cannot follow within the startup
   *     timeout (for example because it replayed WAL of the old timeline past the promotion point,
   *     which needs {@code pg_rewind}); the message carries its WAL receiver state
   */
  void follow(PostgresNode newPrimary);

  /**
   * Cuts this replica off its upstream without stopping it ({@code primary_conninfo = ''} and a
   * reload): it keeps serving reads at the position it has replayed and receives nothing more, as a
   * standby behind a network partition. {@link #follow(PostgresNode)} reconnects it.
   */
  void disconnect();
}
