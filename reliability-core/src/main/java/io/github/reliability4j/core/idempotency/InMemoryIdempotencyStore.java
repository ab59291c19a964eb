package io.github.reliability4j.core.idempotency;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link IdempotencyStore} held in this JVM's heap, on a bounded {@link ConcurrentHashMap}. The
 * default for a single instance and for tests; it does not deduplicate across processes.
 *
 * <p><b>Atomicity.</b> Every state change (claim, complete, release, renew, and every removal
 * below) is one {@code compute} on the map, which {@link ConcurrentHashMap} performs atomically per
 * key; the decision (live? same fingerprint? same owner?) is taken inside it against the record's
 * own expiry instants and the injected {@link Clock}, so correctness never depends on when a record
 * is removed. A claim of a live completed record is answered by a lock-free read instead (such a
 * record can only expire, never change), with an answer built once when the record completed: a
 * replay allocates nothing here and reads the clock once, compared with the record's retention
 * expiry held in epoch nanoseconds.
 *
 * <p><b>Coarse clock on the replay path.</b> With the default clock (the system UTC clock), that
 * read is of a shared {@link CoarseTicker}: a field that one daemon thread refreshes from the
 * system clock every millisecond, so a replay costs a volatile read instead of a clock read.
 * Tolerance: the ticker is never ahead of the clock and lags it by at most 1 ms while its thread
 * runs on time (longer only while the JVM cannot schedule it, e.g. an overloaded CPU or a safepoint
 * pause). So a completed record may still be <em>replayed</em> for up to that lag after its
 * retention expiry (a retry that arrives that late gets the original outcome instead of running
 * again), and is never dropped before it. Every decision that matters for exclusion — whether an
 * in-progress record is live, whether its owner still holds the lease, takeovers, completion,
 * release, renewal and {@link #find} — reads the exact clock inside the atomic {@code compute}.
 * With an injected clock ({@link Builder#clock}) the replay path reads that clock exactly too, so a
 * completed record replays up to its retention expiry to the nanosecond and never after it.
 *
 * <p><b>Bound and eviction: oldest first.</b> At most {@code maximumSize} records are kept, in the
 * order in which they were created (a claim that creates a record, including one that replaces an
 * expired record or takes over an expired lease, puts it at the young end; completing or renewing a
 * record keeps its place). When a new record would exceed the bound, the oldest records are removed
 * until it no longer does, whatever their state: <em>not guaranteed</em>, an in-progress record can
 * be evicted this way, which lets a duplicate run. Retention is about a record's age, so evicting
 * the oldest first drops the records closest to being forgotten anyway, and a record's survival
 * never depends on how many retries it answered (replays are plain reads that change nothing). Size
 * the store for the number of keys created within one retention period. Under concurrent claims the
 * number of records held ({@link #estimatedSize}) can exceed the bound by at most the number of
 * threads creating records at that moment: each claim that creates a record removes the oldest
 * while the store is over the bound before it returns, so once the calls return it is within the
 * bound.
 *
 * <p><b>Expiry.</b> A record is answered as absent from its expiry on (the retention expiry of a
 * completed record, the lease expiry of an in-progress one; see the replay tolerance above) and is
 * replaced by the next claim of its key. An expired in-progress record is remembered for {@link
 * #TAKEOVER_GRACE} past its lease expiry so that a takeover can be reported as one; unless the
 * bound forces it, it is not removed before then. Expired records are removed lazily: each claim
 * that creates a record also removes up to {@value #SWEEP_PER_CLAIM} expired records from the old
 * end, so expired records occupy at most the room of the bound and never replay. The clock is read
 * in nanoseconds since the epoch, which saturates after the year 2262.
 *
 * <p>Thread-safe; no thread of its own (besides the shared ticker). Owner tokens are random UUIDs.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

  /*
   * Design notes. The replay path is one ConcurrentHashMap.get, one read of the clock (a volatile
   * field with the default clock) and a fingerprint compare, which is fewer indirections than a
   * cache with its own node per entry. The creation order is a doubly linked list of Nodes, one per
   * record lifetime, shared by every version (Entry) of that record. Lock order: a map bin lock (held
   * by compute) may be held while taking the list lock, never the reverse; the list is linked and
   * unlinked only inside a compute on the node's key, in the same step that puts or removes the
   * entry, so "linked" implies "in the map with this node" once that compute has returned. Eviction
   * reads the oldest node under the list lock, releases it, then removes the key with a compute that
   * checks the entry still carries that node.
   */

  /** How long an expired in-progress record is remembered to report a takeover. */
  public static final Duration TAKEOVER_GRACE = Duration.ofMinutes(5);

  public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

  /** Expired records removed from the old end, at most, by each claim that creates a record. */
  static final int SWEEP_PER_CLAIM = 2;

  private static final long GRACE_NANOS = TAKEOVER_GRACE.toNanos();

  private static final Clock SYSTEM_CLOCK = Clock.systemUTC();

  private static final ClaimResult.Mismatch COMPLETED_MISMATCH =
      new ClaimResult.Mismatch(RecordState.COMPLETED);

  private final Clock clock;
  // The replay path's clock: the coarse ticker with the default clock, null for exact reads.
  private final CoarseTicker replayTicker;
  private final long maximumSize;
  private final ConcurrentHashMap<IdempotencyKey, Entry> map;

  // Creation order, guarded by itself.
  private final Object order = new Object();
  private Node oldest;
  private Node youngest;
  private volatile long linked;

  private InMemoryIdempotencyStore(Builder builder) {
    this.clock = builder.clock;
    if (builder.coarseTicker != null) {
      this.replayTicker = builder.coarseTicker;
    } else if (builder.clock == SYSTEM_CLOCK) {
      this.replayTicker = CoarseTicker.system();
    } else {
      this.replayTicker = null;
    }
    this.maximumSize = builder.maximumSize;
    this.map = new ConcurrentHashMap<>((int) Math.min(builder.maximumSize, 1 << 16));
  }

  /** A store with the system UTC clock and {@value #DEFAULT_MAXIMUM_SIZE} entries. */
  public static InMemoryIdempotencyStore create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ClaimResult claim(
      IdempotencyKey key, RequestFingerprint fingerprint, Duration leaseDuration) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    requirePositive("leaseDuration", leaseDuration);
    // A live completed record changes only by expiring, so a plain read answers a duplicate
    // without the write path (bin lock) and without allocating: the answer was built when the
    // record completed. Liveness is the one clock read against the retention expiry in nanoseconds.
    Entry current = map.get(key);
    if (current != null && current.replay != null && replayNanos() < current.replayUntil) {
      RequestFingerprint stored = current.fingerprint;
      return stored == fingerprint || stored.equals(fingerprint)
          ? current.replay
          : COMPLETED_MISMATCH;
    }
    Object[] result = new Object[2];
    map.compute(
        key,
        (k, entry) -> {
          Instant now = clock.instant();
          IdempotencyRecord existing = entry == null ? null : entry.record;
          if (existing != null && now.isBefore(existing.expiry())) {
            if (!existing.fingerprint().equals(fingerprint)) {
              result[0] = new ClaimResult.Mismatch(existing.state());
            } else if (entry.replay != null) {
              result[0] = entry.replay;
            } else {
              result[0] = new ClaimResult.InProgress(existing.expiry());
            }
            return entry;
          }
          boolean takeover = existing != null && existing.state() == RecordState.IN_PROGRESS;
          String token = UUID.randomUUID().toString();
          Instant leaseExpiry = now.plus(leaseDuration);
          Entry created =
              new Entry(
                  new IdempotencyRecord(
                      k, fingerprint, RecordState.IN_PROGRESS, token, leaseExpiry, null),
                  new Node(k));
          result[0] = new ClaimResult.Acquired(token, leaseExpiry, takeover);
          result[1] = now;
          // Last, after everything that can throw: the list changes only with the map.
          if (entry != null) {
            unlink(entry.node);
          }
          link(created.node);
          return created;
        });
    if (result[1] != null) {
      afterCreate(CoarseTicker.toNanos((Instant) result[1]));
    }
    return (ClaimResult) result[0];
  }

  @Override
  public boolean complete(
      IdempotencyKey key, String ownerToken, StoredOutcome outcome, Duration retention) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    Objects.requireNonNull(outcome, "outcome");
    requirePositive("retention", retention);
    boolean[] done = new boolean[1];
    map.computeIfPresent(
        key,
        (k, e) -> {
          Instant now = clock.instant();
          if (!owns(e.record, ownerToken, now)) {
            return e;
          }
          done[0] = true;
          return new Entry(
              new IdempotencyRecord(
                  k,
                  e.record.fingerprint(),
                  RecordState.COMPLETED,
                  null,
                  now.plus(retention),
                  outcome),
              e.node);
        });
    return done[0];
  }

  @Override
  public boolean release(IdempotencyKey key, String ownerToken) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    boolean[] done = new boolean[1];
    map.computeIfPresent(
        key,
        (k, e) -> {
          if (!owns(e.record, ownerToken, clock.instant())) {
            return e;
          }
          done[0] = true;
          unlink(e.node);
          return null;
        });
    return done[0];
  }

  @Override
  public Optional<Instant> renew(IdempotencyKey key, String ownerToken, Duration leaseDuration) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ownerToken, "ownerToken");
    requirePositive("leaseDuration", leaseDuration);
    Instant[] renewed = new Instant[1];
    map.computeIfPresent(
        key,
        (k, e) -> {
          Instant now = clock.instant();
          if (!owns(e.record, ownerToken, now)) {
            return e;
          }
          renewed[0] = now.plus(leaseDuration);
          return new Entry(
              new IdempotencyRecord(
                  k, e.record.fingerprint(), RecordState.IN_PROGRESS, ownerToken, renewed[0], null),
              e.node);
        });
    return Optional.ofNullable(renewed[0]);
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    Objects.requireNonNull(key, "key");
    Entry e = map.get(key);
    if (e == null || !clock.instant().isBefore(e.record.expiry())) {
      return Optional.empty();
    }
    return Optional.of(e.record);
  }

  /** {@code true}: every call is an in-heap operation that cannot block on I/O. */
  @Override
  public boolean isLocal() {
    return true;
  }

  /**
   * This store itself: its calls never wait (see {@link #isLocal()}), so they are bounded by any
   * timeout. The engine calls a local store directly anyway.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  @Override
  public Optional<IdempotencyStore> withCallTimeout(Duration timeout) {
    IdempotencyStore.requireCallTimeout(timeout);
    return Optional.of(this);
  }

  /**
   * Number of records held, including expired ones not yet removed: the records in the creation
   * order, exact when no call is running (a call in progress may have put or removed one record
   * that the map does not show yet).
   */
  public long estimatedSize() {
    return linked;
  }

  private long replayNanos() {
    CoarseTicker t = replayTicker;
    return t != null ? t.read() : CoarseTicker.toNanos(clock.instant());
  }

  /** After a claim created a record: lazy expiry from the old end, then the bound. */
  private void afterCreate(long nowNanos) {
    for (int i = 0; i < SWEEP_PER_CLAIM; i++) {
      Node head = oldestNode();
      if (head == null || !remove(head, nowNanos, false)) {
        break;
      }
    }
    while (linked > maximumSize) {
      Node head = oldestNode();
      if (head == null) {
        break;
      }
      remove(head, nowNanos, true);
    }
  }

  /**
   * Removes {@code node}'s record if it is still that record and, unless {@code evict}, it is past
   * the time it may be forgotten.
   */
  private boolean remove(Node node, long nowNanos, boolean evict) {
    boolean[] removed = new boolean[1];
    map.computeIfPresent(
        node.key,
        (k, e) -> {
          if (e.node != node || !(evict || nowNanos >= e.forgetAt)) {
            return e;
          }
          removed[0] = true;
          unlink(node);
          return null;
        });
    return removed[0];
  }

  private Node oldestNode() {
    synchronized (order) {
      return oldest;
    }
  }

  private void link(Node node) {
    synchronized (order) {
      node.older = youngest;
      if (youngest == null) {
        oldest = node;
      } else {
        youngest.younger = node;
      }
      youngest = node;
      node.linked = true;
      linked++;
    }
  }

  private void unlink(Node node) {
    synchronized (order) {
      if (!node.linked) {
        return;
      }
      if (node.older == null) {
        oldest = node.younger;
      } else {
        node.older.younger = node.younger;
      }
      if (node.younger == null) {
        youngest = node.older;
      } else {
        node.younger.older = node.older;
      }
      node.older = null;
      node.younger = null;
      node.linked = false;
      linked--;
    }
  }

  private static boolean owns(IdempotencyRecord r, String ownerToken, Instant now) {
    return r.state() == RecordState.IN_PROGRESS
        && ownerToken.equals(r.ownerToken())
        && now.isBefore(r.expiry());
  }

  private static void requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, but was " + d);
    }
  }

  /** A record's place in the creation order; guarded by the store's list lock. */
  private static final class Node {
    final IdempotencyKey key;
    Node older;
    Node younger;
    boolean linked;

    Node(IdempotencyKey key) {
      this.key = key;
    }
  }

  /**
   * A record as held in the map, with what a duplicate claim of it returns precomputed: a completed
   * record never changes (it only expires), so its {@link ClaimResult.Completed} is built once.
   */
  private static final class Entry {
    final IdempotencyRecord record;
    // The record's fingerprint, one dereference closer for the replay path.
    final RequestFingerprint fingerprint;
    final ClaimResult.Completed replay;
    // Retention expiry in epoch nanoseconds for a completed record; Long.MIN_VALUE otherwise.
    final long replayUntil;
    // Epoch nanoseconds from which the record may be removed: its expiry, plus the takeover grace
    // for an in-progress record.
    final long forgetAt;
    final Node node;

    Entry(IdempotencyRecord record, Node node) {
      this.record = record;
      this.fingerprint = record.fingerprint();
      this.node = node;
      long expiry = CoarseTicker.toNanos(record.expiry());
      if (record.state() == RecordState.COMPLETED) {
        this.replay = new ClaimResult.Completed(record.outcome(), record.expiry());
        this.replayUntil = expiry;
        this.forgetAt = expiry;
      } else {
        this.replay = null;
        this.replayUntil = Long.MIN_VALUE;
        this.forgetAt =
            expiry > Long.MAX_VALUE - GRACE_NANOS ? Long.MAX_VALUE : expiry + GRACE_NANOS;
      }
    }
  }

  /** Builder for {@link InMemoryIdempotencyStore}. Not thread-safe. */
  public static final class Builder {
    private Clock clock = SYSTEM_CLOCK;
    private long maximumSize = DEFAULT_MAXIMUM_SIZE;
    private CoarseTicker coarseTicker;

    private Builder() {}

    /**
     * Clock for leases and retention; tests inject a movable one. With the default (the system UTC
     * clock) replays read the shared {@link CoarseTicker coarse ticker} (see the class
     * documentation); with any clock set here every read is exact.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Test hook: the replay path's clock reads {@code ticker}. */
    Builder coarseTicker(CoarseTicker ticker) {
      this.coarseTicker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Upper bound on the number of records; beyond it the oldest records are evicted (see the class
     * documentation).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maximumSize(long maximumSize) {
      if (maximumSize <= 0) {
        throw new IllegalArgumentException("maximumSize must be positive, but was " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    public InMemoryIdempotencyStore build() {
      return new InMemoryIdempotencyStore(this);
    }
  }
}
