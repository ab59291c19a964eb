package io.github.reliability4j.core.idempotency;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A clock in epoch nanoseconds that readers get for the cost of one volatile read: a refresher
 * copies the source clock into a field, and {@link #read()} returns that field. {@link #system()}
 * is the one instance for the system UTC clock, refreshed every {@link #PERIOD_NANOS} by one shared
 * daemon thread (started on first use, never stopped: it costs one wake-up per millisecond).
 *
 * <p><b>Tolerance.</b> {@link #read()} is never ahead of the source clock (the value is a past
 * reading of it, and a smaller reading never replaces a larger one), and it lags the source by at
 * most the refresh period plus the refresher's scheduling delay: 1 ms while the refresher runs on
 * time, longer only while the JVM cannot run it (a safepoint pause, an overloaded CPU), when every
 * other thread is delayed as well. {@link InMemoryIdempotencyStore} uses it only where lagging is
 * harmless; see its class documentation.
 *
 * <p>Thread-safe.
 */
final class CoarseTicker {

  /** Refresh period of {@link #system()}. */
  static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final LongSupplier source;
  private volatile long nanos;

  /** A ticker that copies {@code source} (epoch nanoseconds) whenever {@link #refresh()} runs. */
  CoarseTicker(LongSupplier source) {
    this.source = source;
    this.nanos = source.getAsLong();
  }

  /** The last copied value of the source. */
  long read() {
    return nanos;
  }

  /** Copies the source clock now; keeps the value monotonic if the source steps back. */
  void refresh() {
    long now = source.getAsLong();
    if (now > nanos) {
      nanos = now;
    }
  }

  /** The shared ticker of the system UTC clock, refreshed by one daemon thread. */
  static CoarseTicker system() {
    return SystemHolder.INSTANCE;
  }

  /** Epoch nanoseconds of {@code instant}, saturating after the year 2262. */
  static long toNanos(Instant instant) {
    try {
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    } catch (ArithmeticException e) {
      return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static final class SystemHolder {
    static final CoarseTicker INSTANCE = start();

    private static CoarseTicker start() {
      Clock clock = Clock.systemUTC();
      CoarseTicker ticker = new CoarseTicker(() -> toNanos(clock.instant()));
      Thread t =
          new Thread(
              () -> {
                while (true) {
                  LockSupport.parkNanos(PERIOD_NANOS);
                  ticker.refresh();
                }
              },
              "reliability4j-idempotency-ticker");
      t.setDaemon(true);
      t.start();
      return ticker;
    }
  }
}
