package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The adaptive sizing against a simulated linear cost: no real time involved. */
class BatchSizerTest {

  static final Duration BUDGET = Duration.ofMillis(500);

  @Test
  void afterTheFirstBatchNoBatchOfALinearCostExceedsTheBudget() {
    // cost per row from 1 µs to 50 ms: the first batch may exceed, none after it does
    for (long nanosPerRow : new long[] {1_000, 20_000, 100_000, 1_000_000, 50_000_000}) {
      BatchSizer sizer = new BatchSizer(1, 500, 10_000, BUDGET);
      for (int i = 0; i < 50; i++) {
        int size = sizer.current();
        Duration took = Duration.ofNanos(size * nanosPerRow);
        if (i > 0) {
          assertThat(took)
              .as("batch %d at %d ns/row (size %d)", i, nanosPerRow, size)
              .isLessThanOrEqualTo(BUDGET);
        }
        sizer.record(size, size, took);
      }
    }
  }

  @Test
  void growsToTheMaximumWhenBatchesAreCheapAndShrinksToTheMinimumWhenNot() {
    BatchSizer sizer = new BatchSizer(10, 100, 800, BUDGET);
    for (int i = 0; i < 5; i++) {
      sizer.record(sizer.current(), sizer.current(), Duration.ofMillis(1));
    }
    assertThat(sizer.current()).isEqualTo(800);
    sizer.record(800, 800, Duration.ofSeconds(100));
    assertThat(sizer.current()).isEqualTo(10);
  }

  @Test
  void aShortLastBatchDoesNotGrowTheSize() {
    BatchSizer sizer = new BatchSizer(10, 100, 800, BUDGET);
    sizer.record(100, 3, Duration.ofMillis(1));
    assertThat(sizer.current()).isEqualTo(100);
  }

  @Test
  void shrinksInProportionToAimAtHalfTheBudget() {
    BatchSizer sizer = new BatchSizer(10, 1000, 1000, BUDGET);
    sizer.record(1000, 1000, Duration.ofMillis(1000));
    assertThat(sizer.current()).isEqualTo(250);
    sizer.record(250, 250, Duration.ofMillis(200));
    assertThat(sizer.current()).as("between a quarter and a half: kept").isEqualTo(250);
  }
}
