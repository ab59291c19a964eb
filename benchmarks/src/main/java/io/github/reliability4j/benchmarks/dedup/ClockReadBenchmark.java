package io.github.reliability4j.benchmarks.dedup;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/*
 * Group 1c, a profile for group 1: what one clock read costs on this machine. A record that
 * expires needs one per lookup (the in-memory store reads Clock.instant() through Caffeine's
 * ticker; an expiring raw Caffeine cache reads System.nanoTime()); raw Caffeine without expiry and
 * Camel's in-memory repository read none.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Threads(1)
public class ClockReadBenchmark {

  private final Clock clock = Clock.systemUTC();

  @Benchmark
  public Instant systemClockInstant() {
    return clock.instant();
  }

  @Benchmark
  public long nanoTime() {
    return System.nanoTime();
  }
}
