package io.github.reliability4j.benchmarks.support;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Reads a JMH JSON result file and prints, per group, every score as a ratio to the group's
 * baseline and peer measured in the same run, the growth with data size, and each target of issue 8
 * as met or missed. Output is Markdown, so it can go into {@code RESULTS.md} as is.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar \
 *     io.github.reliability4j.benchmarks.support.RatioReport benchmarks/target/jmh/results-quick.json
 * </pre>
 *
 * All benchmarks report average time per operation, so a ratio above 1 means slower than the
 * reference.
 */
public final class RatioReport {

  /** One JMH result row. */
  record Row(
      String type,
      String method,
      int threads,
      Map<String, String> params,
      double score,
      double error,
      String unit,
      double allocBytes) {

    String variant() {
      StringBuilder sb = new StringBuilder();
      sb.append("threads=").append(threads);
      params.forEach((k, v) -> sb.append(", ").append(k).append('=').append(v));
      return sb.toString();
    }
  }

  /** A group of benchmarks read as ratios to one baseline and (optionally) one peer. */
  record Group(
      String title, List<String> types, String baseline, String peer, List<String> methods) {}

  static final List<Group> GROUPS =
      List.of(
          new Group(
              "1. Dedup lookup, in memory: replay of a completed key",
              List.of("DedupLookup1Thread", "DedupLookup2Threads"),
              "caffeineGetIfPresent",
              "camelContains",
              List.of(
                  "caffeineGetIfPresent",
                  "caffeineExpiringGetIfPresent",
                  "camelContains",
                  "engineReplay")),
          new Group(
              "1b. Request fingerprint (SHA-256)",
              List.of("FingerprintBenchmark"),
              "jdkSha256",
              null,
              List.of("jdkSha256", "sha256Bytes", "ofParts")),
          new Group(
              "1c. One clock read (profile for group 1)",
              List.of("ClockReadBenchmark"),
              "nanoTime",
              null,
              List.of("nanoTime", "systemClockInstant")),
          new Group(
              "2a. JDBC, new key: claim + complete",
              List.of("JdbcIdempotencyBenchmark"),
              "rawInsert",
              "camelAddConfirm",
              List.of("rawInsert", "camelAddConfirm", "r4jClaimComplete", "engineNewKey")),
          new Group(
              "2b. JDBC, duplicate lookup of a completed key",
              List.of("JdbcIdempotencyBenchmark"),
              "rawSelect",
              "camelDuplicateContains",
              List.of(
                  "rawSelect", "camelDuplicateContains", "camelDuplicateAdd", "r4jDuplicateClaim")),
          new Group(
              "2c. JDBC, new key with the business write (two commits on both sides)",
              List.of("JdbcIdempotencyBenchmark"),
              "orderInsert",
              "camelAddThenInsert",
              List.of("orderInsert", "camelAddThenInsert", "r4jTransactionalNewKey")),
          new Group(
              "3. Routing overhead: get connection + SELECT 1 + close",
              List.of("RoutingOverheadBenchmark"),
              "rawPool",
              "lazyProxy",
              List.of("rawPool", "lazyProxy", "routingNoToken", "routingCoveredToken")),
          new Group(
              "3m. Routing overhead on MariaDB: get connection + SELECT 1 + close",
              List.of("MariaDbRoutingOverheadBenchmark"),
              "rawPool",
              null,
              List.of("rawPool", "routingNoToken", "routingCoveredToken")),
          new Group(
              "5a. Redis store, duplicate lookup of a completed key (JDBC store on PostgreSQL for"
                  + " comparison)",
              List.of("RedisIdempotencyBenchmark"),
              "rawGet",
              null,
              List.of("rawGet", "redisDuplicateClaim", "jdbcDuplicateClaim")),
          new Group(
              "5b. Redis store, new key: claim + complete (JDBC store on PostgreSQL for"
                  + " comparison)",
              List.of("RedisIdempotencyBenchmark"),
              "rawSet",
              "rawSetNxThenSet",
              List.of("rawSet", "rawSetNxThenSet", "redisClaimComplete", "jdbcClaimComplete")),
          new Group(
              "4. Readiness snapshot read",
              List.of("ReadinessReadBenchmark"),
              "oneProbe",
              null,
              List.of("oneProbe", "fiftyProbesTenHanging")));

  private final List<Row> rows;

  RatioReport(List<Row> rows) {
    this.rows = rows;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: RatioReport <jmh-result.json>...");
      System.exit(2);
    }
    List<Path> files = new ArrayList<>();
    for (String a : args) {
      files.add(Path.of(a));
    }
    load(files).print(System.out);
  }

  @SuppressWarnings("unchecked")
  static RatioReport load(List<Path> jsonFiles) throws IOException {
    List<Object> results = new ArrayList<>();
    for (Path json : jsonFiles) {
      if (Files.exists(json)) {
        results.addAll((List<Object>) Json.parse(Files.readString(json, StandardCharsets.UTF_8)));
      }
    }
    List<Row> rows = new ArrayList<>();
    for (Object o : results) {
      Map<String, Object> r = (Map<String, Object>) o;
      String benchmark = (String) r.get("benchmark");
      String[] parts = benchmark.split("\\.");
      Map<String, Object> metric = (Map<String, Object>) r.get("primaryMetric");
      double alloc = Double.NaN;
      Object secondary = r.get("secondaryMetrics");
      if (secondary instanceof Map) {
        Object norm = ((Map<String, Object>) secondary).get("gc.alloc.rate.norm");
        if (norm instanceof Map) {
          alloc = number(((Map<String, Object>) norm).get("score"));
        }
      }
      Map<String, String> params = new TreeMap<>();
      Object p = r.get("params");
      if (p instanceof Map) {
        ((Map<String, Object>) p).forEach((k, v) -> params.put(k, String.valueOf(v)));
      }
      rows.add(
          new Row(
              parts[parts.length - 2],
              parts[parts.length - 1],
              ((Number) r.get("threads")).intValue(),
              params,
              number(metric.get("score")),
              number(metric.get("scoreError")),
              (String) metric.get("scoreUnit"),
              alloc));
    }
    return new RatioReport(rows);
  }

  private static double number(Object o) {
    return o instanceof Number ? ((Number) o).doubleValue() : Double.NaN;
  }

  void print(PrintStream out) {
    for (Group g : GROUPS) {
      printGroup(g, out);
    }
    printTargets(out);
  }

  private List<Row> rowsOf(Group g) {
    List<Row> list = new ArrayList<>();
    for (Row r : rows) {
      if (g.types().contains(r.type()) && g.methods().contains(r.method())) {
        list.add(r);
      }
    }
    return list;
  }

  private void printGroup(Group g, PrintStream out) {
    List<Row> list = rowsOf(g);
    if (list.isEmpty()) {
      return;
    }
    Map<String, Map<String, Row>> byVariant = new LinkedHashMap<>();
    list.stream()
        .sorted(
            (a, b) ->
                a.threads() != b.threads()
                    ? Integer.compare(a.threads(), b.threads())
                    : compareParams(a.params(), b.params()))
        .forEach(
            r ->
                byVariant
                    .computeIfAbsent(r.variant(), k -> new LinkedHashMap<>())
                    .put(r.method(), r));
    out.printf("%n### %s (%s, lower is better)%n%n", g.title(), list.get(0).unit());
    out.printf(
        "| variant | benchmark | score ± error | × baseline `%s` | × peer %s | allocated B/op |%n",
        g.baseline(), g.peer() == null ? "(none)" : "`" + g.peer() + "`");
    out.println("|---|---|---:|---:|---:|---:|");
    for (Map.Entry<String, Map<String, Row>> e : byVariant.entrySet()) {
      Row base = e.getValue().get(g.baseline());
      Row peer = g.peer() == null ? null : e.getValue().get(g.peer());
      for (String m : g.methods()) {
        Row r = e.getValue().get(m);
        if (r == null) {
          continue;
        }
        out.printf(
            "| %s | `%s` | %s ± %s | %s | %s | %s |%n",
            e.getKey(),
            m,
            fmt(r.score()),
            fmt(r.error()),
            ratio(r, base),
            ratio(r, peer),
            Double.isNaN(r.allocBytes())
                ? "—"
                : String.format(Locale.ROOT, "%.0f", r.allocBytes()));
      }
    }
    printGrowth(g, list, out);
  }

  private void printGrowth(Group g, List<Row> list, PrintStream out) {
    String param = list.get(0).params().containsKey("keys") ? "keys" : "rows";
    if (!list.get(0).params().containsKey(param)) {
      return;
    }
    Map<String, List<Row>> series = new LinkedHashMap<>();
    for (Row r : list) {
      series
          .computeIfAbsent(r.method() + " @ threads=" + r.threads(), k -> new ArrayList<>())
          .add(r);
    }
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, List<Row>> e : series.entrySet()) {
      Row small = null;
      Row large = null;
      for (Row r : e.getValue()) {
        long n = Long.parseLong(r.params().get(param));
        if (small == null || n < Long.parseLong(small.params().get(param))) {
          small = r;
        }
        if (large == null || n > Long.parseLong(large.params().get(param))) {
          large = r;
        }
      }
      if (small != large) {
        lines.add(
            String.format(
                Locale.ROOT,
                "| `%s` | %s → %s | %s |",
                e.getKey(),
                small.params().get(param),
                large.params().get(param),
                fmtRatio(large.score() / small.score())));
      }
    }
    if (!lines.isEmpty()) {
      out.printf("%nGrowth with %s (score at the largest / score at the smallest):%n%n", param);
      out.println("| benchmark | " + param + " | growth |");
      out.println("|---|---|---:|");
      lines.forEach(out::println);
    }
  }

  private Row find(String type, String method, Predicate<Row> where) {
    for (Row r : rows) {
      if (r.type().equals(type) && r.method().equals(method) && where.test(r)) {
        return r;
      }
    }
    return null;
  }

  /** The targets, each checked against this run. */
  private void printTargets(PrintStream out) {
    List<String> lines = new ArrayList<>();
    for (String type : List.of("DedupLookup1Thread", "DedupLookup2Threads")) {
      for (Row r : rows) {
        if (!r.type().equals(type) || !r.method().equals("engineReplay")) {
          continue;
        }
        Predicate<Row> same = x -> x.params().equals(r.params());
        Row caffeine = find(type, "caffeineGetIfPresent", same);
        Row camel = find(type, "camelContains", same);
        String v = r.method() + " " + r.variant();
        target(lines, "replay ≤ 1.5× raw Caffeine", v, r, caffeine, 1.5, false);
        if (r.threads() == 1) {
          target(lines, "replay ≤ Camel in-memory (1 thread)", v, r, camel, 1.0, false);
        } else {
          target(lines, "replay < Camel in-memory (2 threads)", v, r, camel, 1.0, true);
        }
      }
      Row small = find(type, "engineReplay", x -> "1000".equals(x.params().get("keys")));
      Row large = find(type, "engineReplay", x -> "1000000".equals(x.params().get("keys")));
      String v = "engineReplay threads=" + (small == null ? "?" : small.threads());
      target(lines, "≤ 3× growth 1e3 → 1e6 keys", v, large, small, 3.0, false);
    }
    for (Row r : rows) {
      if (r.type().equals("JdbcIdempotencyBenchmark") && r.method().equals("r4jClaimComplete")) {
        Row camel = find(r.type(), "camelAddConfirm", x -> x.params().equals(r.params()));
        target(
            lines,
            "new-key throughput ≥ Camel JDBC (time ≤ 1×)",
            r.method() + " " + r.variant(),
            r,
            camel,
            1.0,
            false);
      }
    }
    for (String m : List.of("r4jClaimComplete", "r4jDuplicateClaim", "engineNewKey")) {
      Row small = find("JdbcIdempotencyBenchmark", m, x -> "10000".equals(x.params().get("rows")));
      Row large =
          find("JdbcIdempotencyBenchmark", m, x -> "1000000".equals(x.params().get("rows")));
      if (small != null && large != null) {
        target(lines, "≤ 1.5× latency growth 1e4 → 1e6 rows", m, large, small, 1.5, false);
      } else if (small != null) {
        lines.add(
            "| ≤ 1.5× latency growth 1e4 → 1e6 rows | `"
                + m
                + "` | not measured in this run | — |");
      }
    }
    for (String m : List.of("routingNoToken", "routingCoveredToken")) {
      Row r = find("RoutingOverheadBenchmark", m, x -> true);
      target(
          lines,
          "routing ≤ 1.10× raw pool",
          m,
          r,
          find("RoutingOverheadBenchmark", "rawPool", x -> true),
          1.10,
          false);
      target(
          lines,
          "routing no slower than LazyConnectionDataSourceProxy",
          m,
          r,
          find("RoutingOverheadBenchmark", "lazyProxy", x -> true),
          1.0,
          false);
    }
    for (String m : List.of("routingNoToken", "routingCoveredToken")) {
      target(
          lines,
          "MariaDB routing ≤ 1.10× raw pool",
          m,
          find("MariaDbRoutingOverheadBenchmark", m, x -> true),
          find("MariaDbRoutingOverheadBenchmark", "rawPool", x -> true),
          1.10,
          false);
    }
    target(
        lines,
        "Redis duplicate lookup ≤ 1.3× raw GET",
        "redisDuplicateClaim",
        find("RedisIdempotencyBenchmark", "redisDuplicateClaim", x -> true),
        find("RedisIdempotencyBenchmark", "rawGet", x -> true),
        1.3,
        false);
    target(
        lines,
        "Redis claim + complete ≤ 2.2× one raw SET",
        "redisClaimComplete",
        find("RedisIdempotencyBenchmark", "redisClaimComplete", x -> true),
        find("RedisIdempotencyBenchmark", "rawSet", x -> true),
        2.2,
        false);
    Row fifty = find("ReadinessReadBenchmark", "fiftyProbesTenHanging", x -> true);
    target(
        lines,
        "readiness read, 50 probes (10 hanging) ≤ 1.2× 1 probe",
        "fiftyProbesTenHanging",
        fifty,
        find("ReadinessReadBenchmark", "oneProbe", x -> true),
        1.2,
        false);
    if (lines.isEmpty()) {
      return;
    }
    out.printf("%n### Targets (issue 8)%n%n");
    out.println("| target | measured | ratio | met? |");
    out.println("|---|---|---:|---|");
    lines.forEach(out::println);
  }

  private static void target(
      List<String> lines,
      String what,
      String subject,
      Row r,
      Row reference,
      double limit,
      boolean strict) {
    if (r == null || reference == null) {
      return;
    }
    double ratio = r.score() / reference.score();
    boolean met = strict ? ratio < limit : ratio <= limit;
    lines.add(
        String.format(
            Locale.ROOT,
            "| %s | `%s` | %s | %s |",
            what,
            subject,
            fmtRatio(ratio),
            met ? "met" : "**missed**"));
  }

  private static int compareParams(Map<String, String> a, Map<String, String> b) {
    for (String k : a.keySet()) {
      String x = a.get(k);
      String y = b.get(k);
      if (!Objects.equals(x, y)) {
        try {
          return Long.compare(Long.parseLong(x), Long.parseLong(y));
        } catch (NumberFormatException e) {
          return String.valueOf(x).compareTo(String.valueOf(y));
        }
      }
    }
    return 0;
  }

  private static String ratio(Row r, Row reference) {
    if (reference == null) {
      return "—";
    }
    return fmtRatio(r.score() / reference.score());
  }

  static String fmtRatio(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%.0f×" : v >= 10 ? "%.1f×" : "%.2f×", v);
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    String f = a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f";
    return String.format(Locale.ROOT, f, v);
  }
}
