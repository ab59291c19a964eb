package io.github.reliability4j.core.idempotency;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
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
 * performs atomically per key (a claim of a live completed record is answered by a plain read
 * first: such a record can only expire, never change); the decision (live? same fingerprint? same
 * owner?) is taken inside it against the record's own expiry instants and the injected {@link
 * Clock}, so correctness never depends on when Caffeine evicts.
 *
 * <p><b>Expiry and bounds.</b> Each entry gets its own Caffeine expiry: a completed record is
 * dropped at its retention expiry; an in-progress record is kept {@link #TAKEOVER_GRACE} past its
 * lease expiry so that a takeover can be reported as one. At most {@code maximumSize} records are
 * kept; <em>not guaranteed</em>: beyond that Caffeine evicts records, including in-progress ones,
 * which lets a duplicate run. Size the cache for the number of keys live within one retention
 * period.
 *
 * <p>Thread-safe. Owner tokens are random UUIDs.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

  /** How long an expired in-progress record is remembered to report a takeover. */
  public static final Duration TAKEOVER_GRACE = Duration.ofMinutes(5);

  public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

  private final Clock clock;
  private final Cache<IdempotencyKey, IdempotencyRecord> cache;
  private final ConcurrentMap<IdempotencyKey, IdempotencyRecord> map;

  private InMemoryIdempotencyStore(Builder builder) {
    this.clock = builder.clock;
    Clock c = builder.clock;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(builder.maximumSize)
            .ticker(() -> toNanos(c.instant()))
            .expireAfter(new RecordExpiry())
            .build();
    this.map = cache.asMap();
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
    // without the write path (bin lock, expiry update); everything else goes through compute.
    IdempotencyRecord current = map.get(key);
    if (current != null
        && current.state() == RecordState.COMPLETED
        && clock.instant().isBefore(current.expiry())) {
      return current.fingerprint().equals(fingerprint)
          ? new ClaimResult.Completed(current.outcome(), current.expiry())
          : new ClaimResult.Mismatch(RecordState.COMPLETED);
    }
    ClaimResult[] result = new ClaimResult[1];
    map.compute(
        key,
        (k, existing) -> {
          Instant now = clock.instant();
          if (existing != null && now.isBefore(existing.expiry())) {
            if (!existing.fingerprint().equals(fingerprint)) {
              result[0] = new ClaimResult.Mismatch(existing.state());
            } else if (existing.state() == RecordState.COMPLETED) {
              result[0] = new ClaimResult.Completed(existing.outcome(), existing.expiry());
            } else {
              result[0] = new ClaimResult.InProgress(existing.expiry());
            }
            return existing;
          }
          boolean takeover = existing != null && existing.state() == RecordState.IN_PROGRESS;
          String token = UUID.randomUUID().toString();
          Instant leaseExpiry = now.plus(leaseDuration);
          result[0] = new ClaimResult.Acquired(token, leaseExpiry, takeover);
          return new IdempotencyRecord(
              k, fingerprint, RecordState.IN_PROGRESS, token, leaseExpiry, null);
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
        (k, r) -> {
          Instant now = clock.instant();
          if (!owns(r, ownerToken, now)) {
            return r;
          }
          done[0] = true;
          return new IdempotencyRecord(
              k, r.fingerprint(), RecordState.COMPLETED, null, now.plus(retention), outcome);
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
        (k, r) -> {
          if (!owns(r, ownerToken, clock.instant())) {
            return r;
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
        (k, r) -> {
          Instant now = clock.instant();
          if (!owns(r, ownerToken, now)) {
            return r;
          }
          renewed[0] = now.plus(leaseDuration);
          return new IdempotencyRecord(
              k, r.fingerprint(), RecordState.IN_PROGRESS, ownerToken, renewed[0], null);
        });
    return Optional.ofNullable(renewed[0]);
  }

  @Override
  public Optional<IdempotencyRecord> find(IdempotencyKey key) {
    Objects.requireNonNull(key, "key");
    IdempotencyRecord r = map.get(key);
    if (r == null || !clock.instant().isBefore(r.expiry())) {
      return Optional.empty();
    }
    return Optional.of(r);
  }

  /** {@code true}: every call is an in-heap operation that cannot block on I/O. */
  @Override
  public boolean isLocal() {
    return true;
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
    try {
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    } catch (ArithmeticException e) {
      return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static final class RecordExpiry implements Expiry<IdempotencyKey, IdempotencyRecord> {
    @Override
    public long expireAfterCreate(IdempotencyKey key, IdempotencyRecord r, long currentTime) {
      return remaining(r, currentTime);
    }

    @Override
    public long expireAfterUpdate(
        IdempotencyKey key, IdempotencyRecord r, long currentTime, long currentDuration) {
      return remaining(r, currentTime);
    }

    @Override
    public long expireAfterRead(
        IdempotencyKey key, IdempotencyRecord r, long currentTime, long currentDuration) {
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
    private Clock clock = Clock.systemUTC();
    private long maximumSize = DEFAULT_MAXIMUM_SIZE;

    private Builder() {}

    /** Clock for leases and retention; tests inject a movable one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
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
