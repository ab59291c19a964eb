package io.github.reliability4j.benchmarks.routing;

import static io.github.reliability4j.benchmarks.support.BenchmarkMain.loadAverage;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/*
 * Group 3 / 3m without fork-to-fork variance. The JMH groups start a database cluster per fork,
 * and the difference between forks (which server process, which port, which page of memory) is
 * larger than the routing overhead being measured. This harness starts ONE cluster per database,
 * using the JMH benchmark classes themselves (their set-up, including MariaDB's round-trip check
 * that fails if a covered token costs an extra round trip, and their benchmark methods, so the read
 * is exactly the same), then runs many short rounds in which rawPool, routingNoToken and
 * routingCoveredToken run back to back in an order that rotates every round. Each variant is
 * compared with rawPool of the same round, so slow phases of the machine hit the numerator and the
 * denominator alike.
 *
 * Per variant and round: wall time, this thread's CPU time (ThreadMXBean) and the bytes this
 * thread allocated (com.sun.management.ThreadMXBean). CPU time and allocation are far less
 * load-dependent than wall time.
 */
/** Interleaved routing-overhead harness (not JMH): see the block comment above. */
public final class RoutingInterleavedHarness {

  interface Read {
    int run() throws SQLException;
  }

  record Variant(String name, Read read) {}

  record Sample(long wallNanos, long cpuNanos, long allocatedBytes) {}

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static int sink;

  private RoutingInterleavedHarness() {}

  /** Arguments: {@code [all|mariadb|postgres] [rounds] [operations per round] [warm-up rounds]}. */
  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "all";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int ops = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    int warmUp = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    THREADS.setThreadCpuTimeEnabled(true);
    THREADS.setThreadAllocatedMemoryEnabled(true);
    PrintStream out = System.out;
    out.printf(
        Locale.ROOT,
        "Routing overhead, interleaved: %d rounds x %d operations per variant (after %d warm-up"
            + " rounds), order rotating every round; load average at the start: %s%n%n",
        rounds,
        ops,
        warmUp,
        loadAverage());
    if (which.equals("all") || which.equals("mariadb")) {
      MariaDbRoutingOverheadBenchmark b = new MariaDbRoutingOverheadBenchmark();
      // setUp prints the round trips per operation and fails if a covered token costs one more.
      runDatabase(
          "MariaDB (group 3m set-up, test-kit primary + GTID replica)",
          b::setUp,
          b::tearDown,
          b::rawPool,
          b::routingNoToken,
          b::routingCoveredToken,
          rounds,
          ops,
          warmUp,
          out);
    }
    if (which.equals("all") || which.equals("postgres")) {
      RoutingOverheadBenchmark b = new RoutingOverheadBenchmark();
      runDatabase(
          "PostgreSQL (group 3 set-up, embedded primary + streaming replica)",
          b::setUp,
          b::tearDown,
          b::rawPool,
          b::routingNoToken,
          b::routingCoveredToken,
          rounds,
          ops,
          warmUp,
          out);
    }
    out.printf("load average at the end: %s%n", loadAverage());
    if (sink == 42) {
      out.println();
    }
  }

  interface SetUp {
    void run() throws SQLException;
  }

  /** Sets up one database's cluster, reports its three variants and tears the cluster down. */
  static void runDatabase(
      String title,
      SetUp setUp,
      Runnable tearDown,
      Read rawPool,
      Read routingNoToken,
      Read routingCoveredToken,
      int rounds,
      int ops,
      int warmUp,
      PrintStream out)
      throws SQLException {
    setUp.run();
    try {
      report(
          title,
          List.of(
              new Variant("rawPool", rawPool),
              new Variant("routingNoToken", routingNoToken),
              new Variant("routingCoveredToken", routingCoveredToken)),
          rounds,
          ops,
          warmUp,
          out);
    } finally {
      tearDown.run();
    }
  }

  static void report(
      String title, List<Variant> variants, int rounds, int ops, int warmUp, PrintStream out)
      throws SQLException {
    int n = variants.size();
    for (int r = 0; r < warmUp; r++) {
      for (int i = 0; i < n; i++) {
        measure(variants.get((i + r) % n), ops);
      }
    }
    Sample[][] samples = new Sample[n][rounds];
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < n; i++) {
        int v = (i + r) % n;
        samples[v][r] = measure(variants.get(v), ops);
      }
    }
    out.printf("### %s%n%n", title);
    out.println(
        "| variant | ops/s (median) | time × rawPool (median of rounds) | p10 | p90 |"
            + " CPU µs/op (median) | CPU × rawPool (median of rounds) | B/op |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (int v = 0; v < n; v++) {
      double[] perSecond = new double[rounds];
      double[] timeRatio = new double[rounds];
      double[] cpuPerOp = new double[rounds];
      double[] cpuRatio = new double[rounds];
      long allocated = 0;
      for (int r = 0; r < rounds; r++) {
        Sample s = samples[v][r];
        Sample raw = samples[0][r];
        perSecond[r] = ops * 1e9 / s.wallNanos();
        timeRatio[r] = (double) s.wallNanos() / raw.wallNanos();
        cpuPerOp[r] = s.cpuNanos() / 1e3 / ops;
        cpuRatio[r] = (double) s.cpuNanos() / raw.cpuNanos();
        allocated += s.allocatedBytes();
      }
      out.printf(
          Locale.ROOT,
          "| %s | %.0f | %.3f | %.3f | %.3f | %.2f | %.3f | %.0f |%n",
          variants.get(v).name(),
          percentile(perSecond, 50),
          percentile(timeRatio, 50),
          percentile(timeRatio, 10),
          percentile(timeRatio, 90),
          percentile(cpuPerOp, 50),
          percentile(cpuRatio, 50),
          (double) allocated / ((long) rounds * ops));
    }
    out.println();
  }

  private static Sample measure(Variant v, int ops) throws SQLException {
    Read read = v.read();
    int acc = 0;
    long a0 = THREADS.getCurrentThreadAllocatedBytes();
    long c0 = THREADS.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    for (int i = 0; i < ops; i++) {
      acc += read.run();
    }
    long t1 = System.nanoTime();
    long c1 = THREADS.getCurrentThreadCpuTime();
    long a1 = THREADS.getCurrentThreadAllocatedBytes();
    sink += acc;
    return new Sample(t1 - t0, c1 - c0, a1 - a0);
  }

  /** Nearest-rank percentile of {@code values} (a copy is sorted). */
  static double percentile(double[] values, int p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
