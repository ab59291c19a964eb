package io.github.reliability4j.jdbc.retention;

import java.time.Duration;

/**
 * Adapts the batch size to the batch time budget. A batch's time is close to linear in its size, so
 * the sizer aims at half the budget: after a batch that took more than half the budget it scales
 * the size down in proportion (a batch at the new size is then expected to take half the budget,
 * leaving a factor of two for noise); after a full batch that took less than a quarter it grows the
 * size in proportion too, towards half the budget, but at most {@value #MAX_GROWTH}-fold per batch
 * (a batch's fixed cost, such as its commit, makes the proportional estimate an underestimate of
 * the rows that fit, never an overestimate; the cap limits a jump after one unusually fast batch).
 * Between a quarter and a half it keeps the size. Always within [min, max]. Not thread-safe: one
 * per run.
 */
final class BatchSizer {

  /** Largest factor by which one batch's size may exceed the previous one's. */
  static final int MAX_GROWTH = 4;

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
      long scaled = (long) Math.min((double) asked * target / nanos, (double) asked * MAX_GROWTH);
      current = (int) Math.min(max, Math.max(current, scaled));
    }
  }
}
