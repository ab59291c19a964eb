package io.github.reliability4j.jdbc.retention;

import java.time.Duration;

/**
 * Adapts the batch size to the batch time budget. A batch's time is close to linear in its size, so
 * the sizer aims at half the budget: after a batch that took more than half the budget it scales
 * the size down in proportion (a batch at the new size is then expected to take half the budget,
 * leaving a factor of two for noise); after a full batch that took less than a quarter it doubles
 * the size (expected: under half the budget). Between the two it keeps the size. Always within
 * [min, max]. Not thread-safe: one per run.
 */
final class BatchSizer {

  private final int min;
  private final int max;
  private final long budgetNanos;
  private int current;

  BatchSizer(int min, int initial, int max, Duration budget) {
    this.min = min;
    this.max = max;
    this.current = initial;
    this.budgetNanos = budget.toNanos();
  }

  int current() {
    return current;
  }

  /** Records a batch that asked for {@code asked} rows, got {@code got} and took {@code took}. */
  void record(int asked, int got, Duration took) {
    long nanos = Math.max(1, took.toNanos());
    long target = budgetNanos / 2;
    if (nanos > target) {
      long scaled = (long) ((double) asked * target / nanos);
      current = (int) Math.max(min, Math.min(current, scaled));
    } else if (nanos < budgetNanos / 4 && got >= asked) {
      current = (int) Math.min(max, (long) current * 2);
    }
  }
}
