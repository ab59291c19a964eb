package io.github.reliability4j.core.health.probes;

import io.github.reliability4j.core.health.internal.Checks;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * A sliding-window latency histogram the application feeds ({@link #record(Duration)}) and a {@link
 * LatencyObjectiveProbe} reads.
 *
 * <p>The window is divided into {@code slices} time slices; a slice older than the window is
 * cleared when its slot is reused, so the window slides in steps of {@code window / slices}.
 * Latencies fall into logarithmic bins eight per power of two, so a reported percentile is an upper
 * bound at most about 9% above the true value. Memory is fixed: {@code slices × 512} longs.
 *
 * <p>Thread-safe and lock-free on the recording path except when a slice rolls over. Samples
 * recorded concurrently with a rollover of their slice may be lost; percentiles are approximate.
 * Negative latencies are recorded as zero.
 */
public final class LatencyRecorder {
  private static final int BINS_PER_OCTAVE = 8;
  private static final int BINS = 64 * BINS_PER_OCTAVE;

  private final long sliceNanos;
  private final int slices;
  private final LongSupplier nanoTime;
  private final AtomicLongArray[] counts;
  private final AtomicLongArray epochs;

  private LatencyRecorder(Duration window, int slices, LongSupplier nanoTime) {
    this.slices = slices;
    this.sliceNanos = Math.max(1, window.toNanos() / slices);
    this.nanoTime = nanoTime;
    this.counts = new AtomicLongArray[slices];
    this.epochs = new AtomicLongArray(slices);
    for (int i = 0; i < slices; i++) {
      counts[i] = new AtomicLongArray(BINS);
      epochs.set(i, Long.MIN_VALUE);
    }
  }

  /** A recorder over {@code window} with 10 slices, timed by {@link System#nanoTime()}. */
  public static LatencyRecorder ofWindow(Duration window) {
    return create(window, 10, System::nanoTime);
  }

  /**
   * @throws IllegalArgumentException if window is not positive or slices &lt; 1
   */
  public static LatencyRecorder create(Duration window, int slices, LongSupplier nanoTime) {
    Checks.positive("window", window);
    Checks.atLeast("slices", slices, 1);
    return new LatencyRecorder(window, slices, Objects.requireNonNull(nanoTime, "nanoTime"));
  }

  public void record(Duration latency) {
    recordNanos(latency.toNanos());
  }

  public void recordNanos(long nanos) {
    long epoch = Math.floorDiv(nanoTime.getAsLong(), sliceNanos);
    int slot = (int) Math.floorMod(epoch, (long) slices);
    AtomicLongArray slice = counts[slot];
    if (epochs.get(slot) != epoch) {
      synchronized (slice) {
        if (epochs.get(slot) != epoch) {
          for (int i = 0; i < BINS; i++) {
            slice.set(i, 0);
          }
          epochs.set(slot, epoch);
        }
      }
    }
    slice.incrementAndGet(bin(Math.max(0, nanos)));
  }

  /** Percentiles and count over the current window. */
  public Summary summary() {
    long current = Math.floorDiv(nanoTime.getAsLong(), sliceNanos);
    long[] merged = new long[BINS];
    long total = 0;
    for (int s = 0; s < slices; s++) {
      long e = epochs.get(s);
      if (e == Long.MIN_VALUE || current - e >= slices || e > current) {
        continue;
      }
      for (int i = 0; i < BINS; i++) {
        long c = counts[s].get(i);
        merged[i] += c;
        total += c;
      }
    }
    return new Summary(merged, total);
  }

  static int bin(long nanos) {
    if (nanos < 1) {
      return 0;
    }
    double log2 = Math.log(nanos) / Math.log(2);
    int bin = (int) Math.ceil(log2 * BINS_PER_OCTAVE);
    return Math.min(BINS - 1, Math.max(0, bin));
  }

  static long upperBound(int bin) {
    return (long) Math.ceil(Math.pow(2, (double) bin / BINS_PER_OCTAVE));
  }

  /** An immutable view of one window. */
  public static final class Summary {
    private final long[] bins;
    private final long count;

    private Summary(long[] bins, long count) {
      this.bins = bins;
      this.count = count;
    }

    /** Returns the number of samples in the window. */
    public long count() {
      return count;
    }

    /**
     * Returns the latency at or below which {@code percentile} of the samples fall (an upper
     * bound), or {@link Duration#ZERO} when empty.
     *
     * @throws IllegalArgumentException if percentile is outside (0, 1]
     */
    public Duration percentile(double percentile) {
      if (!(percentile > 0 && percentile <= 1)) {
        throw new IllegalArgumentException("percentile must be in (0, 1], but was " + percentile);
      }
      if (count == 0) {
        return Duration.ZERO;
      }
      long rank = (long) Math.ceil(percentile * count);
      long seen = 0;
      for (int i = 0; i < bins.length; i++) {
        seen += bins[i];
        if (seen >= rank) {
          return Duration.ofNanos(i == 0 ? 0 : upperBound(i));
        }
      }
      return Duration.ofNanos(upperBound(bins.length - 1));
    }
  }
}
