package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.core.health.probes.LatencyRecorder;
import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyRecord;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.IdempotencyStoreTimeoutException;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.core.idempotency.internal.OutcomeEncoding;
import io.github.reliability4j.core.idempotency.internal.Sha256;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * An {@link IdempotencyStore} in Redis, on Lettuce: standalone, Sentinel (through a {@link
 * RedisClient} with a Sentinel URI) or Redis Cluster (through a {@link RedisClusterClient}). Every
 * instance of a service pointing at the same Redis and key prefix executes a key once across all of
 * them.
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create("redis://cache:6379");
 * RedisIdempotencyStore store = RedisIdempotencyStore.create(client,
 *     RedisIdempotencyStoreConfig.custom().keyPrefix("payments:idem:").build());
 * Idempotency idempotency = Idempotency.of(store);
 * }</pre>
 *
 * <h2>Keys and values</h2>
 *
 * One Redis string per record, at {@code keyPrefix + base64url(SHA-256(len-prefixed scope,
 * operation, client key)))}: user input never builds a key, and the prefix is validated (no spaces,
 * no braces, so no hash-tag injection). The value is a compact binary record (format 2, laid out in
 * {@code Scripts}): a version byte, the state, the expiry (epoch milliseconds of the configured
 * {@link Clock}, 8 bytes), the 32-byte fingerprint, then the owner token (in progress) or the
 * outcome in {@link OutcomeEncoding}'s binary form (completed; body bytes as they are, no base64 or
 * JSON). Records of the earlier hash layout (format 1) are read and decided on as before and
 * rewritten in format 2 at their next write; a value of an unknown format is an error, never
 * overwritten.
 *
 * <h2>One round trip per operation</h2>
 *
 * claim, renew, complete, release and find are each one Lua script (see {@code Scripts}), loaded
 * with {@code SCRIPT LOAD} when the store starts and run with {@code EVALSHA}; a node that answers
 * {@code NOSCRIPT} (restarted, flushed, a new cluster master after resharding) gets the script's
 * body with {@code EVAL}, which caches it again. Inside, a script does one {@code GET} and at most
 * one {@code SET ... PX} or {@code DEL}. Each script touches only its record's key, so it runs
 * atomically on the node owning the key's slot: of concurrent claims exactly one acquires; renew,
 * complete and release compare the owner token, the state and the lease inside the script, so a
 * worker whose lease expired or was taken over can never overwrite or delete the new owner's record
 * (it gets {@code false}). Owner tokens are 128-bit values unique per store and unpredictable (see
 * {@code OwnerTokens}).
 *
 * <h2>Expiry without a purge job</h2>
 *
 * A record's logical life follows the store's clock: the scripts compare the stored expiry with the
 * caller's {@code now}. Redis's TTL removes the key afterwards: an in-progress record's TTL is its
 * lease plus {@link #TAKEOVER_GRACE} (never shorter than the lease, so a crashed owner's key
 * becomes claimable after the lease and never disappears before; the grace lets a takeover be
 * reported), a completed record's TTL is its retention. No purge job is needed. Leases are as
 * accurate as the clocks of the nodes sharing the store (as for every store).
 *
 * <h2>Slow or lost Redis</h2>
 *
 * Every command is awaited at most {@link RedisIdempotencyStoreConfig#getCommandTimeout()} (plus
 * the {@code WAIT} timeout when that option is on); then the command is cancelled and an {@link
 * IdempotencyStoreTimeoutException} thrown, which the engine counts for its circuit breaker and
 * answers with the operation's outage policy (fail-closed by default). The engine calls the store
 * through its bounded view ({@link #withCallTimeout}), which also caps the whole call — all of its
 * commands — to the engine's store-call timeout, on the caller's thread (no hand-off to the
 * engine's store executor). The store records the latency of every call ({@link
 * #latencyRecorder()}) for {@code RedisStoreProbe}.
 *
 * <h2>Replication and failover (not guaranteed)</h2>
 *
 * Redis replicates asynchronously. A master can acknowledge a claim or a completion and fail before
 * a replica received it; the promoted replica then has no record (or still an in-progress one), and
 * the next request with that key runs the action again: a duplicate execution, at most once per key
 * per failover, only for writes acknowledged in the last moments before the master failed. {@link
 * RedisIdempotencyStoreConfig.Builder#waitForReplicas} narrows this window: each write is followed,
 * in the same pipeline, by {@code WAIT n timeout}, and a write fewer replicas acknowledged fails
 * ({@link RedisReplicationException}; a claim is released first). {@code WAIT} makes the loss
 * unlikely, not impossible (Redis may still promote a replica that missed the write), and it blocks
 * the connection it runs on while it waits.
 *
 * <p>Thread-safe: one multiplexed Lettuce connection, opened by {@link #create} and closed by
 * {@link #close()} (the client stays open; it is the caller's). The store never calls back into
 * user code.
 */
public final class RedisIdempotencyStore implements IdempotencyStore, AutoCloseable {

  /** How long past its lease an in-progress record is kept to report a takeover. */
  public static final Duration TAKEOVER_GRACE = Duration.ofMinutes(5);

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final int CLAIM_TTL = 0;
  private static final int COMPLETE_TTL = 1;
  private static final Base64.Encoder KEY_ENCODING = Base64.getUrlEncoder().withoutPadding();

  private final RedisIdempotencyStoreConfig config;
  private final Clock clock;
  private final byte[] prefix;
  private final StatefulConnection<byte[], byte[]> connection;
  private final RedisScriptingAsyncCommands<byte[], byte[]> scripting;
  private final BaseRedisAsyncCommands<byte[], byte[]> base;
  private final long timeoutNanos;
  private final LatencyRecorder latency;
  private final OwnerTokens tokens;
  private final KeyEntry[] recentKeys;
  private final Decimal[] recentTtls;

  /** A bounded view's call timeout ({@link #withCallTimeout}), or null for the store itself. */
  private final Duration callTimeout;

  private final long callTimeoutNanos;

  /** {@link #deadline()} of a call without a call timeout. */
  private static final long NO_DEADLINE = Long.MIN_VALUE;

  private RedisIdempotencyStore(
      RedisIdempotencyStoreConfig config,
      StatefulConnection<byte[], byte[]> connection,
      RedisScriptingAsyncCommands<byte[], byte[]> scripting,
      BaseRedisAsyncCommands<byte[], byte[]> base) {
    this.config = config;
    this.clock = config.getClock();
    this.prefix = config.getKeyPrefix().getBytes(StandardCharsets.US_ASCII);
    this.connection = connection;
    this.scripting = scripting;
    this.base = base;
    long wait = config.getWaitReplicas() > 0 ? config.getWaitTimeout().toNanos() : 0;
    this.timeoutNanos = config.getCommandTimeout().toNanos() + wait;
    this.latency = LatencyRecorder.ofWindow(Duration.ofMinutes(1));
    this.tokens = OwnerTokens.create();
    this.recentKeys = new KeyEntry[256];
    this.recentTtls = new Decimal[2];
    this.callTimeout = null;
    this.callTimeoutNanos = 0;
  }

  /** A bounded view of {@code base}: same connection, caches, latency recorder and settings. */
  private RedisIdempotencyStore(RedisIdempotencyStore base, Duration callTimeout) {
    this.config = base.config;
    this.clock = base.clock;
    this.prefix = base.prefix;
    this.connection = base.connection;
    this.scripting = base.scripting;
    this.base = base.base;
    this.timeoutNanos = base.timeoutNanos;
    this.latency = base.latency;
    this.tokens = base.tokens;
    this.recentKeys = base.recentKeys;
    this.recentTtls = base.recentTtls;
    this.callTimeout = callTimeout;
    this.callTimeoutNanos = callTimeout.toNanos();
  }

  /**
   * Opens a connection of {@code client} (a {@link RedisClient} for standalone or Sentinel, a
   * {@link RedisClusterClient} for a cluster), loads the scripts and checks the permissions the
   * store needs with a probe key under the prefix.
   *
   * @throws RedisPermissionException if the Redis user may not run the scripts or the commands they
   *     use on keys under the prefix (the message names the command and the ACL to grant)
   * @throws IllegalStateException if {@code waitForReplicas} is set with a cluster client
   * @throws IdempotencyStoreException if Redis cannot be reached
   */
  public static RedisIdempotencyStore create(
      AbstractRedisClient client, RedisIdempotencyStoreConfig config) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(config, "config");
    RedisIdempotencyStore store;
    try {
      if (client instanceof RedisClusterClient) {
        if (config.getWaitReplicas() > 0) {
          throw new IllegalStateException(
              "waitForReplicas ("
                  + config.getWaitReplicas()
                  + ") is not supported with a RedisClusterClient: WAIT must run on the master"
                  + " owning each key's slot; use a standalone or Sentinel client, or waitReplicas"
                  + " 0");
        }
        StatefulRedisClusterConnection<byte[], byte[]> c =
            ((RedisClusterClient) client).connect(ByteArrayCodec.INSTANCE);
        store = new RedisIdempotencyStore(config, c, c.async(), c.async());
      } else if (client instanceof RedisClient) {
        StatefulRedisConnection<byte[], byte[]> c =
            ((RedisClient) client).connect(ByteArrayCodec.INSTANCE);
        store = new RedisIdempotencyStore(config, c, c.async(), c.async());
      } else {
        throw new IllegalArgumentException(
            "client must be a RedisClient or a RedisClusterClient, but was " + client.getClass());
      }
    } catch (RedisException e) {
      throw new IdempotencyStoreException("Cannot connect to Redis: " + e.getMessage(), e);
    }
    try {
      store.start();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  private void start() {
    for (Scripts.Script s : Scripts.ALL) {
      String sha = startupCall("SCRIPT LOAD", scripting.scriptLoad(s.body));
      if (!s.sha.equals(sha)) {
        throw new IdempotencyStoreException(
            "Redis returned SHA " + sha + " for the " + s.name + " script, expected " + s.sha);
      }
    }
    byte[] probeKey = concat(prefix, bytes("startup-check:" + UUID.randomUUID()));
    startupCall(
        "EVALSHA",
        scripting.evalsha(
            Scripts.CHECK.sha, ScriptOutputType.INTEGER, new byte[][] {probeKey}, new byte[0][]));
  }

  private <T> T startupCall(String command, RedisFuture<T> future) {
    try {
      return await(future, timeoutNanos);
    } catch (RedisException e) {
      String message = String.valueOf(e.getMessage());
      if (message.startsWith("NOPERM") || message.contains("NOPERM")) {
        throw new RedisPermissionException(command, config.getKeyPrefix(), e);
      }
      throw new IdempotencyStoreException(
          "Redis failed " + command + " while the idempotency store started: " + message, e);
    }
  }

  // ---- SPI ------------------------------------------------------------------------------------

  @Override
  public ClaimResult claim(
      IdempotencyKey key, RequestFingerprint fingerprint, Duration leaseDuration) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    requirePositive("leaseDuration", leaseDuration);
    byte[] redisKey = redisKey(key);
    long now = clock.millis();
    long leaseExpiry = now + leaseDuration.toMillis();
    // The new record is built once, with the fresh token written straight into its tail.
    byte[] record = new byte[Scripts.TAIL + OwnerTokens.LENGTH];
    record[0] = Scripts.VERSION_2;
    record[Scripts.STATE] = 'P';
    LONG.set(record, Scripts.EXPIRY, leaseExpiry);
    System.arraycopy(fingerprint.bytes(), 0, record, Scripts.FINGERPRINT, 32);
    tokens.next(record, Scripts.TAIL);
    long ttl = Math.max(1, leaseDuration.plus(TAKEOVER_GRACE).toMillis());
    long deadline = deadline();
    byte[] r;
    try {
      r =
          script(
              deadline,
              "claim",
              Scripts.CLAIM,
              ScriptOutputType.VALUE,
              true,
              redisKey,
              binary(now),
              record,
              decimal(CLAIM_TTL, ttl));
    } catch (RedisReplicationException e) {
      releaseQuietly(deadline, redisKey, Arrays.copyOfRange(record, Scripts.TAIL, record.length));
      throw e;
    }
    switch (r[0]) {
      case 'A':
        String token =
            new String(record, Scripts.TAIL, OwnerTokens.LENGTH, StandardCharsets.US_ASCII);
        return new ClaimResult.Acquired(token, Instant.ofEpochMilli(leaseExpiry), r[1] == '1');
      case 'M':
        return new ClaimResult.Mismatch(state(r[1]));
      case Scripts.VERSION_2:
        Instant expiry = Instant.ofEpochMilli((long) LONG.get(r, Scripts.EXPIRY));
        if (r[Scripts.STATE] == 'C') {
          return new ClaimResult.Completed(
              OutcomeEncoding.decode(r, Scripts.TAIL, r.length - Scripts.TAIL), expiry);
        }
        return new ClaimResult.InProgress(expiry);
      default:
        throw new IdempotencyStoreException("Unexpected claim script answer " + Arrays.toString(r));
    }
  }

  @Override
  public boolean complete(
      IdempotencyKey key, String ownerToken, StoredOutcome outcome, Duration retention) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(outcome, "outcome");
    requirePositive("retention", retention);
    byte[] redisKey = redisKey(key);
    // The size is checked on the encoded form before anything is sent.
    long estimate = outcome.sizeInBytes();
    byte[] encoded =
        estimate > config.getMaxOutcomeBytes() ? null : OutcomeEncoding.encode(outcome);
    long deadline = deadline();
    if (encoded == null || encoded.length > config.getMaxOutcomeBytes()) {
      long size = encoded == null ? estimate : encoded.length;
      boolean released = release(deadline, redisKey, bytes(ownerToken));
      throw new RedisOutcomeTooLargeException(size, config.getMaxOutcomeBytes(), released);
    }
    long now = clock.millis();
    Long done =
        script(
            deadline,
            "complete",
            Scripts.COMPLETE,
            ScriptOutputType.INTEGER,
            true,
            redisKey,
            binary(now),
            bytes(ownerToken),
            binary(now + retention.toMillis()),
            encoded,
            decimal(COMPLETE_TTL, Math.max(1, retention.toMillis())));
    return done == 1L;
  }

  @Override
  public boolean release(IdempotencyKey key, String ownerToken) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    return release(deadline(), redisKey(key), bytes(ownerToken));
  }

  private boolean release(long deadline, byte[] redisKey, byte[] ownerToken) {
    Long done =
        script(
            deadline,
            "release",
            Scripts.RELEASE,
            ScriptOutputType.INTEGER,
            true,
            redisKey,
            binary(clock.millis()),
            ownerToken);
    return done == 1L;
  }

  private void releaseQuietly(long deadline, byte[] redisKey, byte[] token) {
    try {
      release(deadline, redisKey, token);
    } catch (RuntimeException ignored) {
      // The claim's lease expires anyway; the caller gets the replication error.
    }
  }

  @Override
  public Optional<Instant> renew(IdempotencyKey key, String ownerToken, Duration leaseDuration) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    requirePositive("leaseDuration", leaseDuration);
    long now = clock.millis();
    long expiry = now + leaseDuration.toMillis();
    Long done =
        script(
            deadline(),
            "renew",
            Scripts.RENEW,
            ScriptOutputType.INTEGER,
            true,
            redisKey(key),
            binary(now),
            bytes(ownerToken),
            binary(expiry),
            decimal(CLAIM_TTL, Math.max(1, leaseDuration.plus(TAKEOVER_GRACE).toMillis())));
    return done == 1L ? Optional.of(Instant.ofEpochMilli(expiry)) : Optional.empty();
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    Objects.requireNonNull(key, "key");
    byte[] v =
        script(deadline(), "find", Scripts.FIND, ScriptOutputType.VALUE, false, redisKey(key));
    if (v == null) {
      return Optional.empty();
    }
    Instant expiry = Instant.ofEpochMilli((long) LONG.get(v, Scripts.EXPIRY));
    if (!clock.instant().isBefore(expiry)) {
      return Optional.empty();
    }
    RecordState state = state(v[Scripts.STATE]);
    RequestFingerprint fingerprint =
        RequestFingerprint.fromHex(
            HexFormat.of().formatHex(v, Scripts.FINGERPRINT, Scripts.FINGERPRINT + 32));
    int tail = v.length - Scripts.TAIL;
    return Optional.of(
        new IdempotencyRecord(
            key,
            fingerprint,
            state,
            state == RecordState.IN_PROGRESS
                ? new String(v, Scripts.TAIL, tail, StandardCharsets.UTF_8)
                : null,
            expiry,
            state == RecordState.COMPLETED ? OutcomeEncoding.decode(v, Scripts.TAIL, tail) : null));
  }

  // ---- operations for probes and operators ----------------------------------------------------

  /** Latencies of this store's Redis calls (successful or not) over the last minute. */
  public LatencyRecorder latencyRecorder() {
    return latency;
  }

  /**
   * Sends {@code PING} and returns its round-trip time, waiting at most {@code timeout} (and never
   * longer than the command timeout).
   *
   * @throws IdempotencyStoreException if Redis does not answer in time or answers an error
   */
  public Duration ping(Duration timeout) {
    long limit = Math.min(timeout.toNanos(), config.getCommandTimeout().toNanos());
    long start = System.nanoTime();
    try {
      await(base.ping(), Math.max(1, limit));
    } catch (RedisCommandTimeoutException e) {
      throw new IdempotencyStoreException(
          "Redis did not answer PING within " + Duration.ofNanos(limit), e);
    } catch (RedisException e) {
      throw new IdempotencyStoreException("Redis PING failed: " + e.getMessage(), e);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  public RedisIdempotencyStoreConfig config() {
    return config;
  }

  /**
   * A view of this store (same connection, records, settings and latency recorder) whose every
   * {@link IdempotencyStore} call returns or throws within {@code timeout}: each command is awaited
   * for its command timeout capped to the time left in the call (a call can send more than one:
   * {@code EVAL} after {@code NOSCRIPT}, {@code WAIT}, a release after a refused outcome), and
   * cancelled when that passes; no command is sent once the time is up. Lettuce never blocks the
   * sending thread (a disconnected connection queues commands until it reconnects), so the wait for
   * the answer is the only wait. A call cut off that way throws {@link
   * IdempotencyStoreTimeoutException}. The engine calls the view on the caller's thread. Closing
   * the view closes the shared connection.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  @Override
  public Optional<IdempotencyStore> withCallTimeout(Duration timeout) {
    IdempotencyStore.requireCallTimeout(timeout);
    return Optional.of(new RedisIdempotencyStore(this, timeout));
  }

  /** Closes the store's connection (not the client). Idempotent. */
  @Override
  public void close() {
    connection.close();
  }

  // ---- Redis calls ----------------------------------------------------------------------------

  private <T> T script(
      long deadline,
      String operation,
      Scripts.Script script,
      ScriptOutputType type,
      boolean mayWrite,
      byte[] redisKey,
      byte[]... args) {
    byte[][] keys = {redisKey};
    int replicas = mayWrite ? config.getWaitReplicas() : 0;
    long start = System.nanoTime();
    try {
      long first = budget(deadline, operation);
      RedisFuture<T> f = scripting.evalsha(script.sha, type, keys, args);
      RedisFuture<Long> w = replicas > 0 ? waitForReplicas() : null;
      T result;
      try {
        result = await(f, first);
      } catch (RedisNoScriptException e) {
        // The node lost its script cache (restart, SCRIPT FLUSH, a new master): EVAL caches it.
        if (w != null) {
          await(w, budget(deadline, operation));
        }
        long retry = budget(deadline, operation);
        f = scripting.eval(script.body, type, keys, args);
        w = replicas > 0 ? waitForReplicas() : null;
        result = await(f, retry);
      }
      if (w != null && wrote(result)) {
        long acked = await(w, budget(deadline, operation));
        if (acked < replicas) {
          throw new RedisReplicationException(
              operation, acked, replicas, config.getWaitTimeout().toString());
        }
      }
      return result;
    } catch (RedisCommandTimeoutException e) {
      throw timeout(operation, deadline, e);
    } catch (RedisException e) {
      throw new IdempotencyStoreException(
          "Redis failed the idempotency " + operation + ": " + e.getMessage(), e);
    } finally {
      latency.recordNanos(System.nanoTime() - start);
    }
  }

  /** Whether a script's answer means it wrote (only writes wait for replicas). */
  private static boolean wrote(Object result) {
    if (result instanceof Long) {
      return (Long) result == 1L;
    }
    return result instanceof byte[] && ((byte[]) result)[0] == 'A';
  }

  private RedisFuture<Long> waitForReplicas() {
    return base.waitForReplication(
        config.getWaitReplicas(), Math.max(1, config.getWaitTimeout().toMillis()));
  }

  private IdempotencyStoreException timeout(String operation, long deadline, RedisException e) {
    boolean callBound = deadline != NO_DEADLINE && deadline - System.nanoTime() <= 0;
    Duration bound = callBound ? callTimeout : Duration.ofNanos(timeoutNanos);
    return new IdempotencyStoreTimeoutException(
        "Redis did not answer the idempotency "
            + operation
            + " within the "
            + (callBound ? "store-call timeout " : "command timeout ")
            + bound
            + "; the command was cancelled",
        bound,
        e);
  }

  /** The deadline of a call starting now ({@link #NO_DEADLINE} without a call timeout). */
  private long deadline() {
    if (callTimeout == null) {
      return NO_DEADLINE;
    }
    long d = System.nanoTime() + callTimeoutNanos;
    return d == NO_DEADLINE ? d + 1 : d;
  }

  /**
   * How long the next command may be awaited: the command timeout, capped to the time left before
   * {@code deadline}.
   *
   * @throws IdempotencyStoreTimeoutException if no time is left (nothing is sent)
   */
  private long budget(long deadline, String operation) {
    if (deadline == NO_DEADLINE) {
      return timeoutNanos;
    }
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new IdempotencyStoreTimeoutException(
          "the idempotency "
              + operation
              + " used up the store-call timeout "
              + callTimeout
              + "; no further Redis command was sent",
          callTimeout,
          null);
    }
    return Math.min(timeoutNanos, left);
  }

  private static <T> T await(RedisFuture<T> future, long nanos) {
    return LettuceFutures.awaitOrCancel(future, nanos, TimeUnit.NANOSECONDS);
  }

  // ---- encoding -------------------------------------------------------------------------------

  /**
   * The record's Redis key. The last key hashed into each of {@link #recentKeys}' slots is kept, so
   * the complete (renew, release) that follows a claim of the same key does not hash it again. The
   * slots are read and written without locks: an entry is immutable, and a lost or stale slot only
   * costs one more hash. Callers must not modify the returned array.
   */
  byte[] redisKey(IdempotencyKey key) {
    int slot = key.hashCode() & (recentKeys.length - 1);
    KeyEntry e = recentKeys[slot];
    if (e != null && (e.key == key || e.key.equals(key))) {
      return e.redisKey;
    }
    byte[] digest = Sha256.ofLengthPrefixed(key.scope(), key.operation(), key.clientKey());
    byte[] redisKey = concat(prefix, KEY_ENCODING.encode(digest));
    recentKeys[slot] = new KeyEntry(key, redisKey);
    return redisKey;
  }

  private static final class KeyEntry {
    final IdempotencyKey key;
    final byte[] redisKey;

    KeyEntry(IdempotencyKey key, byte[] redisKey) {
      this.key = key;
      this.redisKey = redisKey;
    }
  }

  private static RecordState state(byte tag) {
    return tag == 'C' ? RecordState.COMPLETED : RecordState.IN_PROGRESS;
  }

  /** A number the scripts compare: 8 bytes, big-endian (read with {@code struct.unpack}). */
  private static byte[] binary(long n) {
    byte[] b = new byte[8];
    LONG.set(b, 0, n);
    return b;
  }

  /** A number Redis itself parses (the {@code PX} of {@code SET}): decimal ASCII. */
  private byte[] decimal(int site, long n) {
    Decimal d = recentTtls[site];
    if (d == null || d.value != n) {
      d = new Decimal(n);
      recentTtls[site] = d;
    }
    return d.ascii;
  }

  /**
   * A TTL in decimal ASCII, kept per call site: operations pass the same lease and retention again
   * and again. Immutable, so the racy slots above are safe.
   */
  private static final class Decimal {
    final long value;
    final byte[] ascii;

    Decimal(long value) {
      this.value = value;
      this.ascii = Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static void requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, but was " + d);
    }
  }
}
