package io.github.reliability4j.benchmarks.support;

import io.github.reliability4j.benchmarks.http.HttpEndpointHarness;
import io.github.reliability4j.benchmarks.jdbc.JdbcIdempotencyBenchmark;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the whole suite: starts one embedded PostgreSQL primary + replica for all forks, counts
 * round trips, runs JMH in the chosen mode, and prints the ratio report.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar \
 *     io.github.reliability4j.benchmarks.support.BenchmarkMain smoke|quick|full [outputDir] [regex]
 * </pre>
 *
 * <ul>
 *   <li>{@code quick} (8–9 minutes on 2 cores: 44 forks, then the HTTP harness): 1 fork, 2 × 1 s
 *       warm-up, 3 × 1 s measurement; the in-memory lookups at 1e3 and 1e6 keys; the JDBC group at
 *       1e4 existing rows, and at 1e6 rows only {@code r4jClaimComplete}, {@code r4jDuplicateClaim}
 *       and {@code camelAddConfirm} (growth check).
 *   <li>{@code smoke}: checks that every benchmark runs (1 × 1 s warm-up and measurement, smallest
 *       parameters); its numbers mean nothing.
 *   <li>{@code full}: 2 forks, 3 × 2 s warm-up, 5 × 2 s measurement, every parameter.
 * </ul>
 *
 * After JMH, the end-to-end HTTP harness ({@link HttpEndpointHarness}, not JMH) runs in its own JVM
 * against the same cluster, in the same mode (quick: about 1.5 minutes), when the regex matches its
 * class name ({@code io.github.reliability4j.benchmarks.http.HttpEndpointHarness}); its table is
 * appended to the report.
 *
 * <p>Writes {@code results-<mode>.json} (JMH), {@code round-trips-<mode>.md}, {@code
 * http-<mode>.md} and {@code report-<mode>.md} (machine, round trips, ratios) into the output
 * directory (default {@code benchmarks/target/jmh}). An optional regex restricts the benchmarks
 * (JMH include syntax).
 */
public final class BenchmarkMain {

  private BenchmarkMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || !List.of("smoke", "quick", "full").contains(args[0])) {
      System.err.println("usage: BenchmarkMain smoke|quick|full [outputDir] [include-regex]");
      System.exit(2);
    }
    String mode = args[0];
    Path out = Path.of(args.length > 1 ? args[1] : "benchmarks/target/jmh");
    String include = args.length > 2 ? args[2] : "io\\.github\\.reliability4j\\.benchmarks\\..*";
    Files.createDirectories(out);
    Path json = out.resolve("results-" + mode + ".json");
    List<Path> jsonFiles = new ArrayList<>(List.of(json));
    Instant start = Instant.now();
    String machineBefore = machine();
    System.out.println(machineBefore);

    String roundTrips;
    String http = "";
    boolean jmhRan = true;
    boolean httpIncluded =
        Pattern.compile(include).matcher(HttpEndpointHarness.class.getName()).find();
    try (PostgresCluster cluster = BenchDatabase.startCluster()) {
      String primary = cluster.primary().jdbcUrl();
      String replica = cluster.replica(0).jdbcUrl();
      roundTrips =
          capture(p -> RoundTripReport.print(RoundTripReport.measure(primary, replica), p));
      System.out.println(roundTrips);
      Files.writeString(out.resolve("round-trips-" + mode + ".md"), roundTrips);

      ChainedOptionsBuilder options = options(mode, include, json, primary, replica);
      if (mode.equals("smoke")) {
        options.param("rows", "10000").param("keys", "1000");
      } else if (mode.equals("quick")) {
        // The growth checks need only the smallest and largest populations; full mode adds 1e5.
        options.param("rows", "10000").param("keys", "1000", "1000000");
      }
      try {
        new Runner(options.build()).run();
      } catch (NoBenchmarksException e) {
        if (!httpIncluded) {
          throw e;
        }
        jmhRan = false; // the regex selects only the HTTP harness
      }
      if (jmhRan
          && mode.equals("quick")
          && Pattern.compile(include)
              .matcher(JdbcIdempotencyBenchmark.class.getName() + ".r4jClaimComplete")
              .find()) {
        // Growth to 1e6 rows in quick mode, for the two store operations only (the bulk load and
        // the other forks would not fit the time budget); full mode measures every method.
        Path growth = out.resolve("results-" + mode + "-1e6.json");
        new Runner(
                options(mode, JDBC_GROWTH_INCLUDE, growth, primary, replica)
                    .param("rows", "1000000")
                    .build())
            .run();
        jsonFiles.add(growth);
      }
      if (httpIncluded) {
        http = runHttpHarness(mode, out, primary, replica);
      }
    }

    String ratios = jmhRan ? capture(p -> RatioReport.load(jsonFiles).print(p)) : "";
    String report =
        "## Run\n\n"
            + "```\n"
            + machineBefore
            + "\nmode: "
            + mode
            + ", wall time: "
            + Duration.between(start, Instant.now()).toSeconds()
            + " s, load average at the end: "
            + loadAverage()
            + "\n```\n"
            + roundTrips
            + ratios
            + http;
    Files.writeString(out.resolve("report-" + mode + ".md"), report);
    System.out.println(ratios);
    System.out.println(http);
    System.out.println(
        "\nJMH results: " + json + "\nreport: " + out.resolve("report-" + mode + ".md"));
  }

  /**
   * Runs {@link HttpEndpointHarness} in {@code mode} in a JVM of its own (like a JMH fork: its JIT
   * and heap are not the launcher's) and returns its Markdown table, or a line saying it failed.
   */
  static String runHttpHarness(String mode, Path out, String primary, String replica)
      throws IOException, InterruptedException {
    Path md = out.resolve("http-" + mode + ".md");
    Files.deleteIfExists(md);
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms2g",
            "-Xmx2g",
            "-D" + BenchDatabase.PRIMARY_URL + "=" + primary,
            "-D" + BenchDatabase.REPLICA_URL + "=" + replica,
            "-cp",
            System.getProperty("java.class.path"),
            HttpEndpointHarness.class.getName(),
            mode,
            "--out=" + md);
    System.out.println("# HTTP end-to-end harness: " + String.join(" ", command));
    int exit = new ProcessBuilder(command).inheritIO().start().waitFor();
    if (exit != 0 || !Files.exists(md)) {
      return "\n### HTTP end to end\n\nThe harness failed (exit code "
          + exit
          + "); its output is in the launcher's output above.\n";
    }
    return "\n" + Files.readString(md);
  }

  static final String JDBC_GROWTH_INCLUDE =
      "JdbcIdempotencyBenchmark\\.(r4jClaimComplete|r4jDuplicateClaim|camelAddConfirm)$";

  static ChainedOptionsBuilder options(
      String mode, String include, Path json, String primary, String replica) {
    ChainedOptionsBuilder options =
        new OptionsBuilder()
            .include(include)
            .resultFormat(ResultFormatType.JSON)
            // Allocation per operation does not depend on the machine's load: it backs the
            // explanations of the ratios on a noisy shared machine.
            .addProfiler(GCProfiler.class)
            .result(json.toString())
            .jvmArgsAppend(
                "-Xms2g",
                "-Xmx2g",
                "-D" + BenchDatabase.PRIMARY_URL + "=" + primary,
                "-D" + BenchDatabase.REPLICA_URL + "=" + replica);
    switch (mode) {
      case "smoke":
        return options
            .forks(1)
            .warmupIterations(1)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(1)
            .measurementTime(TimeValue.seconds(1));
      case "quick":
        return options
            .forks(1)
            .warmupIterations(2)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(3)
            .measurementTime(TimeValue.seconds(1));
      default:
        return options
            .forks(2)
            .warmupIterations(3)
            .warmupTime(TimeValue.seconds(2))
            .measurementIterations(5)
            .measurementTime(TimeValue.seconds(2));
    }
  }

  interface Printer {
    void print(PrintStream out) throws Exception;
  }

  static String capture(Printer printer) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      printer.print(p);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  static String machine() {
    Runtime rt = Runtime.getRuntime();
    return String.format(
        Locale.ROOT,
        "cpus: %d, memory: %s, JDK: %s %s (%s), OS: %s %s, load average at the start: %s",
        rt.availableProcessors(),
        memTotal(),
        System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"),
        System.getProperty("java.vendor"),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        loadAverage());
  }

  private static String memTotal() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
      for (String l : lines) {
        if (l.startsWith("MemTotal:")) {
          long kb = Long.parseLong(l.replaceAll("[^0-9]", ""));
          return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: leave it out.
    }
    return "unknown";
  }

  /** The 1, 5 and 15 minute load averages from {@code /proc/loadavg}, or "unknown". */
  public static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
