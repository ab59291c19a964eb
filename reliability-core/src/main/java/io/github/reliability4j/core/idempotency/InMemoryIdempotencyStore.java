package io.github.reliability4j.core.idempotency;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentMap;

/**
 * An {@link IdempotencyStore} held in this JVM's heap, on a bounded Caffeine cache. The default for
 * a single instance and for tests; it does not deduplicate across processes.
 *
 * <p><b>Atomicity.</b> Every state change is one {@code compute} on the cache's map, which Caffeine
 * performs atomically per key; the decision (live? same fingerprint? same owner?) is taken inside
 * it against the record's own expiry instants and the injected {@link Clock}, so correctness never
 * depends on when Caffeine evicts. A claim of a live completed record is answered by a lock-free
 * read instead (such a record can only expire, never change), with an answer built once when the
 * record completed: a replay allocates nothing here and reads the clock once, through Caffeine's
 * ticker, whose expiry for a completed record is its retention expiry to the nanosecond.
 *
 * <p><b>Coarse clock on the replay path.</b> With the default clock (the system UTC clock),
 * Caffeine's ticker is a shared {@link CoarseTicker}: a field that one daemon thread refreshes from
 * the system clock every millisecond, so a replay costs a volatile read instead of a clock read.
 * Tolerance: the ticker is never ahead of the clock and lags it by at most 1 ms while its thread
 * runs on time (longer only while the JVM cannot schedule it, e.g. an overloaded CPU or a safepoint
 * pause). So a completed record may still be <em>replayed</em> for up to that lag after its
 * retention expiry (a retry that arrives that late gets the original outcome instead of running
 * again), and is never dropped before it. Every decision that matters for exclusion — whether an
 * in-progress record is live, whether its owner still holds the lease, takeovers, completion,
 * release, renewal and {@link #find} — reads the exact clock inside the atomic {@code compute}, as
 * before. With an injected clock ({@link Builder#clock}) Caffeine reads that clock exactly.
 *
 * <p><b>Expiry and bounds.</b> Each entry gets its own Caffeine expiry: a completed record is
 * dropped at its retention expiry; an in-progress record is kept {@link #TAKEOVER_GRACE} past its
 * lease expiry so that a takeover can be reported as one. At most {@code maximumSize} records are
 * kept; <em>not guaranteed</em>: beyond that Caffeine evicts records, including in-progress ones,
 * which lets a duplicate run. Size the cache for the number of keys live within one retention
 * period. Replays are quiet reads: they do not count as uses for that size-based eviction, so a
 * record's chance to survive it does not grow with the number of retries it answered. The clock is
 * read in nanoseconds since the epoch, which saturates after the year 2262.
 *
 * <p>Thread-safe. Owner tokens are random UUIDs.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

  /** How long an expired in-progress record is remembered to report a takeover. */
  public static final Duration TAKEOVER_GRACE = Duration.ofMinutes(5);

  public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

  private static final Clock SYSTEM_CLOCK = Clock.systemUTC();

  private static final ClaimResult.Mismatch COMPLETED_MISMATCH =
      new ClaimResult.Mismatch(RecordState.COMPLETED);

  private final Clock clock;
  private final Cache<IdempotencyKey, Entry> cache;
  private final ConcurrentMap<IdempotencyKey, Entry> map;
  private final Policy<IdempotencyKey, Entry> policy;

  private InMemoryIdempotencyStore(Builder builder) {
    this.clock = builder.clock;
    Clock c = builder.clock;
    Ticker ticker;
    if (builder.coarseTicker != null) {
      ticker = builder.coarseTicker::read;
    } else if (builder.clock == SYSTEM_CLOCK) {
      CoarseTicker system = CoarseTicker.system();
      ticker = system::read;
    } else {
      // Nanoseconds of the injected clock: a completed record's Caffeine expiry is then its
      // retention expiry to the nanosecond, which the claim fast path relies on.
      ticker = () -> toNanos(c.instant());
    }
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(builder.maximumSize)
            .ticker(ticker)
            .expireAfter(new RecordExpiry())
            .build();
    this.map = cache.asMap();
    this.policy = cache.policy();
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
    // without the write path (bin lock, expiry update) and without allocating: the answer was
    // built when the record completed. Liveness needs no clock read of its own: Caffeine returns
    // an entry only while its ticker (this store's clock) is before the entry's expiry, which for a
    // completed record is its retention expiry exactly (see RecordExpiry). The read is quiet:
    // replays do not count as uses for size-based eviction, and leave the entry untouched.
    Entry current = policy.getIfPresentQuietly(key);
    if (current != null && current.replay != null) {
      return current.fingerprint.equals(fingerprint) ? current.replay : COMPLETED_MISMATCH;
    }
    ClaimResult[] result = new ClaimResult[1];
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
          result[0] = new ClaimResult.Acquired(token, leaseExpiry, takeover);
          return new Entry(
              new IdempotencyRecord(
                  k, fingerprint, RecordState.IN_PROGRESS, token, leaseExpiry, null));
        });
    return result[0];
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
                  outcome));
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
                  k,
                  e.record.fingerprint(),
                  RecordState.IN_PROGRESS,
                  ownerToken,
                  renewed[0],
                  null));
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

  /** Approximate number of records held, including expired ones not yet evicted. */
  public long estimatedSize() {
    return cache.estimatedSize();
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

  private static long toNanos(Instant instant) {
    // Saturates instead of overflowing for clocks set far into the future.
    return CoarseTicker.toNanos(instant);
  }

  /**
   * A record as held in the cache, with what a duplicate claim of it returns precomputed: a
   * completed record never changes (it only expires), so its {@link ClaimResult.Completed} is built
   * once.
   */
  private static final class Entry {
    final IdempotencyRecord record;
    // The record's fingerprint, one dereference closer for the replay path.
    final RequestFingerprint fingerprint;
    final ClaimResult.Completed replay;

    Entry(IdempotencyRecord record) {
      this.record = record;
      this.fingerprint = record.fingerprint();
      this.replay =
          record.state() == RecordState.COMPLETED
              ? new ClaimResult.Completed(record.outcome(), record.expiry())
              : null;
    }
  }

  private static final class RecordExpiry implements Expiry<IdempotencyKey, Entry> {
    @Override
    public long expireAfterCreate(IdempotencyKey key, Entry e, long currentTime) {
      return remaining(e.record, currentTime);
    }

    @Override
    public long expireAfterUpdate(
        IdempotencyKey key, Entry e, long currentTime, long currentDuration) {
      return remaining(e.record, currentTime);
    }

    @Override
    public long expireAfterRead(
        IdempotencyKey key, Entry e, long currentTime, long currentDuration) {
      return currentDuration;
    }

    private static long remaining(IdempotencyRecord r, long currentTime) {
      Instant until =
          r.state() == RecordState.IN_PROGRESS ? r.expiry().plus(TAKEOVER_GRACE) : r.expiry();
      long nanos = toNanos(until);
      if (nanos == Long.MAX_VALUE) {
        return Long.MAX_VALUE;
      }
      return Math.max(0, nanos - currentTime);
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

    /** Test hook: Caffeine's ticker (the replay path's clock) reads {@code ticker}. */
    Builder coarseTicker(CoarseTicker ticker) {
      this.coarseTicker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Upper bound on the number of records.
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
