package io.github.reliability4j.benchmarks.http;

import static io.github.reliability4j.benchmarks.support.BenchmarkMain.loadAverage;

import io.github.reliability4j.benchmarks.support.BenchDatabase;
import io.github.reliability4j.benchmarks.support.RoundTripCounter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * End-to-end HTTP harness (not JMH: a measurement is a timed round of many concurrent requests
 * against a running server): what {@code @Idempotent} with the JDBC store costs a Spring Boot
 * endpoint that inserts one row, against the same endpoint without it, in the same run.
 *
 * <p>Server: {@link OrdersApplication} (Spring Boot, embedded Tomcat on a free loopback port,
 * Spring MVC, the reliability4j starter's auto-configuration with the JDBC store) on the
 * benchmarks' embedded PostgreSQL ({@code fsync=off}; the launcher's cluster when started by {@code
 * BenchmarkMain}, else a private one). Client: in this JVM, a fixed number of persistent HTTP/1.1
 * connections ({@link LoopbackHttpConnection}), one thread each, each sending its next request as
 * soon as the previous response is read (closed loop, no think time).
 *
 * <p>Each measured round runs, for the same time each, at each concurrency:
 *
 * <ol>
 *   <li>{@code bare}: {@code POST /bare}, a JSON order, inserted in a transaction, 201 with JSON;
 *   <li>{@code new key}: {@code POST /idempotent} (same handler plus {@code @Idempotent}), every
 *       request with a new {@code Idempotency-Key}: claim, business insert and completion in the
 *       handler's transaction;
 *   <li>{@code replay}: the same requests as the preceding {@code new key} round (same key, same
 *       body), cycled: each is answered from the store without running the handler.
 * </ol>
 *
 * Both tables are truncated before each bare round (so every triple starts from empty tables).
 * Every response is checked: a 201 that is a replay where none may be (or not one where it must be)
 * fails the run, and so does a row count that differs (one order per successful bare and new-key
 * request, one key per successful new-key request, none added by replays). Other statuses (a 503
 * when a store call exceeds the engine's store-call timeout on a loaded machine) are counted,
 * printed and reported as failed; their keys are not replayed. Reported per endpoint: successful
 * requests/s (median of the rounds), p50/p99/max latency over all measured requests, database round
 * trips per request (counted under the pool, load-independent) and the CPU time this JVM (server
 * and client) spent per request (far less load-dependent than requests/s), each as a ratio to
 * {@code bare}.
 *
 * <pre>{@code
 * ./mvnw -B -q -pl benchmarks -am -DskipTests package
 * java -cp benchmarks/target/benchmarks.jar \
 *     io.github.reliability4j.benchmarks.http.HttpEndpointHarness smoke|quick|full \
 *     [--connections=4,16] [--warmup=3s] [--round=3s] [--rounds=3] [--out=file.md] [--jfr=dir]
 * }</pre>
 *
 * {@code --jfr=dir} writes one Flight Recorder profile ({@code profile} settings) per measured
 * round, named {@code <endpoint>-c<connections>-round<n>.jfr}.
 *
 * <p>Modes: {@code smoke} (2 connections, 0.5 s warm-up, one 1 s round: does it run?), {@code
 * quick} (4 and 16 connections, 5 s warm-up per endpoint, 3 rounds of 3 s; about 1.5 minutes),
 * {@code full} (4 and 16 connections, 20 s warm-up, 5 rounds of 5 s; about 5.5 minutes). With a 5 s
 * warm-up the requests/s of every endpoint still climbed over the measured rounds (bare at 4
 * connections 1,946 to 5,941 req/s, RESULTS.md, session 7); after 20 s they level off.
 */
public final class HttpEndpointHarness {

  /** The three measured request kinds. */
  enum Endpoint {
    BARE("bare", "/bare"),
    NEW_KEY("@Idempotent, new key", "/idempotent"),
    REPLAY("@Idempotent, replay", "/idempotent");

    final String label;
    final String path;

    Endpoint(String label, String path) {
      this.label = label;
      this.path = path;
    }
  }

  /** What to run. */
  record Options(
      String mode, List<Integer> connections, Duration warmup, Duration round, int rounds) {

    static Options of(String mode) {
      return switch (mode) {
        case "smoke" -> new Options(mode, List.of(2), millis(500), millis(1000), 1);
        case "quick" -> new Options(mode, List.of(4, 16), millis(5000), millis(3000), 3);
        case "full" -> new Options(mode, List.of(4, 16), millis(20_000), millis(5000), 5);
        default ->
            throw new IllegalArgumentException(
                "mode must be smoke, quick or full, but was " + mode);
      };
    }

    private static Duration millis(long ms) {
      return Duration.ofMillis(ms);
    }

    Options {
      if (connections.isEmpty() || connections.stream().anyMatch(c -> c < 1)) {
        throw new IllegalArgumentException(
            "connections must be at least 1 each, but were " + connections);
      }
      if (rounds < 1) {
        throw new IllegalArgumentException("rounds must be at least 1, but was " + rounds);
      }
      if (round.isZero() || round.isNegative() || warmup.isNegative()) {
        throw new IllegalArgumentException(
            "round must be positive and warmup not negative, but were " + round + ", " + warmup);
      }
    }
  }

  /** One endpoint measured for one round at one concurrency. */
  record Round(
      Endpoint endpoint,
      int connections,
      int roundId,
      long requests,
      long failed,
      long[][] succeeded,
      double seconds,
      long[] latenciesNanos,
      long roundTrips,
      long cpuNanos,
      int reconnects) {

    /** Successful (201) responses per second. */
    double perSecond() {
      return (requests - failed) / seconds;
    }
  }

  /** One endpoint at one concurrency, over all measured rounds. */
  record Summary(
      int connections,
      Endpoint endpoint,
      double medianPerSecond,
      List<Double> perSecondByRound,
      double p50Millis,
      double p99Millis,
      double maxMillis,
      long requests,
      long failed,
      double roundTripsPerRequest,
      double cpuMicrosPerRequest) {}

  /** The whole run: options, summaries (by concurrency, then endpoint) and the Markdown report. */
  record Result(Options options, List<Summary> summaries, String markdown) {

    Summary summary(int connections, Endpoint endpoint) {
      return summaries.stream()
          .filter(s -> s.connections() == connections && s.endpoint() == endpoint)
          .findFirst()
          .orElseThrow();
    }
  }

  private static final String HOST = "127.0.0.1";

  private final BenchDatabase db;
  private final Options options;
  private final RoundTripCounter roundTrips = new RoundTripCounter();
  private final Path jfrDirectory;
  private int nextRoundId;

  private HttpEndpointHarness(BenchDatabase db, Options options, Path jfrDirectory) {
    this.db = db;
    this.options = options;
    this.jfrDirectory = jfrDirectory;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println(
          "usage: HttpEndpointHarness smoke|quick|full [--connections=4,16] [--warmup=3s]"
              + " [--round=3s] [--rounds=3] [--out=file.md] [--jfr=dir]");
      System.exit(2);
    }
    Options o = Options.of(args[0]);
    Path out = null;
    Path jfr = null;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      String v = a.substring(a.indexOf('=') + 1);
      if (a.startsWith("--connections=")) {
        o =
            new Options(
                o.mode(),
                Arrays.stream(v.split(",")).map(String::trim).map(Integer::valueOf).toList(),
                o.warmup(),
                o.round(),
                o.rounds());
      } else if (a.startsWith("--warmup=")) {
        o = new Options(o.mode(), o.connections(), duration(v), o.round(), o.rounds());
      } else if (a.startsWith("--round=")) {
        o = new Options(o.mode(), o.connections(), o.warmup(), duration(v), o.rounds());
      } else if (a.startsWith("--rounds=")) {
        o = new Options(o.mode(), o.connections(), o.warmup(), o.round(), Integer.parseInt(v));
      } else if (a.startsWith("--out=")) {
        out = Path.of(v);
      } else if (a.startsWith("--jfr=")) {
        jfr = Path.of(v);
        Files.createDirectories(jfr);
      } else {
        throw new IllegalArgumentException("unknown argument: " + a);
      }
    }
    try (BenchDatabase db = BenchDatabase.open()) {
      Result result = new HttpEndpointHarness(db, o, jfr).run(System.out);
      if (out == null) {
        // With --out (the launcher), the launcher prints the table in its report.
        System.out.println();
        System.out.println(result.markdown());
      }
      if (out != null) {
        Files.writeString(out, result.markdown(), StandardCharsets.UTF_8);
      }
    }
  }

  /** {@code 3s}, {@code 500ms}, or ISO-8601 {@code PT3S}. */
  static Duration duration(String v) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    if (s.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
    }
    if (s.endsWith("s") && !s.startsWith("pt")) {
      return Duration.ofMillis(
          Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
    }
    return Duration.parse(v.trim());
  }

  /**
   * Starts the application against {@code db}, runs the warm-up and the measured rounds, stops the
   * application, and returns the report. Progress lines go to {@code progress}.
   *
   * @throws IllegalStateException if any response or row count differs from what the endpoint must
   *     produce
   */
  static Result run(BenchDatabase db, Options options, PrintStream progress) throws Exception {
    return new HttpEndpointHarness(db, options, null).run(progress);
  }

  private Result run(PrintStream progress) throws Exception {
    String loadAtStart = loadAverage();
    db.execute("drop table if exists " + OrdersApplication.ORDERS_TABLE);
    db.execute(
        "create table "
            + OrdersApplication.ORDERS_TABLE
            + " (id bigserial primary key, customer text not null, amount bigint not null,"
            + " created_at timestamptz not null default now())");
    // The store creates its table (current row format) at start-up.
    db.execute("drop table if exists " + OrdersApplication.KEYS_TABLE);
    long started = System.nanoTime();
    ConfigurableApplicationContext app = OrdersApplication.start(db.primaryUrl(), roundTrips);
    double startSeconds = (System.nanoTime() - started) / 1e9;
    List<Summary> summaries = new ArrayList<>();
    try {
      int port = OrdersApplication.port(app);
      progress.printf(
          Locale.ROOT, "application started on port %d in %.1f s%n", port, startSeconds);
      for (int connections : options.connections()) {
        if (!options.warmup().isZero()) {
          triple(port, connections, options.warmup(), progress, "warm-up", false);
        }
        Map<Endpoint, List<Round>> measured = new EnumMap<>(Endpoint.class);
        for (int r = 1; r <= options.rounds(); r++) {
          for (Round round :
              triple(port, connections, options.round(), progress, "round " + r, true)) {
            measured.computeIfAbsent(round.endpoint(), e -> new ArrayList<>()).add(round);
          }
        }
        for (Endpoint e : Endpoint.values()) {
          summaries.add(summarize(connections, e, measured.get(e)));
        }
      }
    } finally {
      app.close();
    }
    return new Result(options, summaries, markdown(summaries, loadAtStart, loadAverage()));
  }

  /** bare, new key, replay of those keys; tables truncated first; rows checked after each. */
  private List<Round> triple(
      int port,
      int connections,
      Duration duration,
      PrintStream progress,
      String label,
      boolean measured)
      throws Exception {
    db.execute("truncate " + OrdersApplication.ORDERS_TABLE + ", " + OrdersApplication.KEYS_TABLE);
    // A failed request (503 when a store call exceeds its timeout on a loaded machine) must not
    // have inserted its order; its key may stay claimed, so it is not replayed.
    Round bare = load(port, Endpoint.BARE, connections, duration, null, measured, progress);
    long orders = bare.requests() - bare.failed();
    expectRows(OrdersApplication.ORDERS_TABLE, orders, orders, "after the bare round");
    Round newKey = load(port, Endpoint.NEW_KEY, connections, duration, null, measured, progress);
    orders += newKey.requests() - newKey.failed();
    expectRows(OrdersApplication.ORDERS_TABLE, orders, orders, "after the new-key round");
    expectRows(
        OrdersApplication.KEYS_TABLE,
        newKey.requests() - newKey.failed(),
        newKey.requests(),
        "after the new-key round");
    Round replay = load(port, Endpoint.REPLAY, connections, duration, newKey, measured, progress);
    expectRows(
        OrdersApplication.ORDERS_TABLE,
        orders,
        orders,
        "after the replay round (a replay must not run the handler)");
    List<Round> rounds = List.of(bare, newKey, replay);
    for (Round r : rounds) {
      progress.printf(
          Locale.ROOT,
          "%-8s c=%-3d %-22s %8.0f requests/s  p50 %6.2f ms  p99 %6.2f ms  %.2f round trips"
              + "/request  %.0f µs JVM CPU/request%n",
          label,
          connections,
          r.endpoint().label,
          r.perSecond(),
          percentile(sorted(r.latenciesNanos()), 0.50) / 1e6,
          percentile(sorted(r.latenciesNanos()), 0.99) / 1e6,
          (double) r.roundTrips() / r.requests(),
          r.cpuNanos() / 1e3 / r.requests());
    }
    return rounds;
  }

  private void expectRows(String table, long min, long max, String when) throws SQLException {
    long rows = db.queryLong("select count(*) from " + table);
    if (rows < min || rows > max) {
      throw new IllegalStateException(
          table
              + " holds "
              + rows
              + " rows "
              + when
              + ", expected "
              + (min == max ? Long.toString(min) : min + " to " + max));
    }
  }

  /**
   * One round: {@code connections} threads, each on its own connection, for {@code duration}.
   * {@code source} is the new-key round whose requests a replay round repeats.
   */
  private Round load(
      int port,
      Endpoint endpoint,
      int connections,
      Duration duration,
      Round source,
      boolean measured,
      PrintStream progress)
      throws Exception {
    int roundId = nextRoundId++;
    CountDownLatch ready = new CountDownLatch(connections);
    CountDownLatch go = new CountDownLatch(1);
    Worker[] workers = new Worker[connections];
    ExecutorService pool =
        Executors.newFixedThreadPool(
            connections,
            r -> {
              Thread t = new Thread(r, "bench-http-client");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        long[] replayed = source == null ? null : source.succeeded()[c];
        if (source != null && replayed.length == 0) {
          throw new IllegalStateException(
              "connection " + c + " completed no new-key request to replay; use a longer round");
        }
        workers[c] =
            new Worker(
                port,
                endpoint,
                roundId,
                c,
                source == null ? roundId : source.roundId(),
                replayed,
                ready,
                go);
        futures.add(pool.submit(workers[c]));
      }
      if (!ready.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("client connections not open after 30 s");
      }
      jdk.jfr.Recording recording = null;
      if (jfrDirectory != null && measured) {
        // One profile per measured round (--jfr): where an endpoint's time goes, e.g. a replay's
        // split between the filter, the store lookup and the response write.
        recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
        recording.setName(endpoint.name() + "-c" + connections + "-round" + roundId);
        recording.start();
      }
      roundTrips.reset();
      long cpuStart = processCpuNanos();
      long start = System.nanoTime();
      go.countDown();
      Thread.sleep(duration.toMillis());
      for (Worker w : workers) {
        w.stop = true;
      }
      if (recording != null) {
        recording.stop();
        recording.dump(
            jfrDirectory.resolve(
                endpoint.name().toLowerCase(Locale.ROOT)
                    + "-c"
                    + connections
                    + "-round"
                    + roundId
                    + ".jfr"));
        recording.close();
      }
      for (Future<?> f : futures) {
        try {
          f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new IllegalStateException(
              endpoint.label + " round failed on the client: " + e.getCause(), e.getCause());
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long cpu = processCpuNanos() - cpuStart;
      long trips = roundTrips.get();
      long requests = 0;
      long failed = 0;
      int reconnects = 0;
      long[][] succeeded = new long[connections][];
      long[] all = new long[0];
      for (int c = 0; c < connections; c++) {
        Worker w = workers[c];
        if (w.violation != null) {
          throw new IllegalStateException(
              endpoint.label + ", connection " + c + ": " + w.violation);
        }
        if (w.failed > 0) {
          progress.printf(
              Locale.ROOT,
              "%s: %d of %d requests failed on connection %d, first: %s%n",
              endpoint.label,
              w.failed,
              w.count,
              c,
              w.firstFailure);
        }
        succeeded[c] = Arrays.copyOf(w.succeeded, w.succeededCount);
        failed += w.failed;
        requests += w.count;
        reconnects += w.reconnects;
        int from = all.length;
        all = Arrays.copyOf(all, from + w.count);
        System.arraycopy(w.latencies, 0, all, from, w.count);
      }
      if (requests == failed) {
        throw new IllegalStateException(
            endpoint.label + ": no request succeeded in " + duration + " (" + failed + " failed)");
      }
      return new Round(
          endpoint,
          connections,
          roundId,
          requests,
          failed,
          succeeded,
          seconds,
          all,
          trips,
          cpu,
          reconnects);
    } finally {
      pool.shutdownNow();
    }
  }

  /** One client connection's closed loop. */
  private static final class Worker implements Runnable {
    private final int port;
    private final Endpoint endpoint;
    private final int roundId;
    private final int connection;
    private final int keyRound;
    private final long[] replayed;
    private final CountDownLatch ready;
    private final CountDownLatch go;
    volatile boolean stop;
    long[] latencies = new long[4096];
    int count;
    long[] succeeded = new long[4096];
    int succeededCount;
    int failed;
    int reconnects;
    String firstFailure;
    String violation;

    Worker(
        int port,
        Endpoint endpoint,
        int roundId,
        int connection,
        int keyRound,
        long[] replayed,
        CountDownLatch ready,
        CountDownLatch go) {
      this.port = port;
      this.endpoint = endpoint;
      this.roundId = roundId;
      this.connection = connection;
      this.keyRound = keyRound;
      this.replayed = replayed;
      this.ready = ready;
      this.go = go;
    }

    @Override
    public void run() {
      try (LoopbackHttpConnection http = new LoopbackHttpConnection(HOST, port)) {
        ready.countDown();
        go.await();
        for (long seq = 0; !stop; seq++) {
          long n = replayed != null ? replayed[(int) (seq % replayed.length)] : seq;
          byte[] request = request(endpoint.path, port, keyRound, connection, n);
          long t0 = System.nanoTime();
          LoopbackHttpConnection.Response r = http.exchange(request);
          long t1 = System.nanoTime();
          boolean expectedReplay = endpoint == Endpoint.REPLAY;
          if (r.status() == 201 && r.replayed() == expectedReplay) {
            if (succeededCount == succeeded.length) {
              succeeded = Arrays.copyOf(succeeded, succeededCount * 2);
            }
            succeeded[succeededCount++] = n;
          } else if (r.status() == 201) {
            // A replay that ran the handler again, or a new key answered from the store: wrong.
            violation =
                "status 201 with Idempotent-Replayed "
                    + r.replayed()
                    + " for request "
                    + n
                    + ", body "
                    + r.bodyStart();
          } else if (failed++ == 0) {
            firstFailure = "status " + r.status() + ", body " + r.bodyStart();
          }
          if (count == latencies.length) {
            latencies = Arrays.copyOf(latencies, count * 2);
          }
          latencies[count++] = t1 - t0;
        }
        reconnects = http.reconnects();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The request for order {@code n} of {@code connection} in round {@code keyRound}: the same key
   * and body whenever the same (round, connection, n) is sent again, which makes it a replay.
   */
  static byte[] request(String path, int port, int keyRound, int connection, long n) {
    String body = "{\"customer\":\"c-" + connection + "\",\"amount\":" + n + "}";
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: "
            + HOST
            + ":"
            + port
            + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: "
            + body.length()
            + "\r\nIdempotency-Key: order-"
            + keyRound
            + "-"
            + connection
            + "-"
            + n
            + "\r\n\r\n";
    return (head + body).getBytes(StandardCharsets.US_ASCII);
  }

  private static Summary summarize(int connections, Endpoint endpoint, List<Round> rounds) {
    List<Double> perSecond = rounds.stream().map(Round::perSecond).toList();
    int total = 0;
    long requests = 0;
    long trips = 0;
    long cpu = 0;
    long failed = 0;
    for (Round r : rounds) {
      failed += r.failed();
      total += r.latenciesNanos().length;
      requests += r.requests();
      trips += r.roundTrips();
      cpu += r.cpuNanos();
    }
    long[] all = new long[total];
    int at = 0;
    for (Round r : rounds) {
      System.arraycopy(r.latenciesNanos(), 0, all, at, r.latenciesNanos().length);
      at += r.latenciesNanos().length;
    }
    Arrays.sort(all);
    return new Summary(
        connections,
        endpoint,
        median(perSecond),
        perSecond,
        percentile(all, 0.50) / 1e6,
        percentile(all, 0.99) / 1e6,
        all[all.length - 1] / 1e6,
        requests,
        failed,
        (double) trips / requests,
        cpu / 1e3 / requests);
  }

  /**
   * CPU time of this whole JVM (server, client, GC and JIT threads), which depends far less on the
   * machine's load than requests/s do; -1 if the JVM does not report it.
   */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private static long[] sorted(long[] values) {
    long[] copy = values.clone();
    Arrays.sort(copy);
    return copy;
  }

  /** The nearest-rank percentile of a sorted array. */
  static long percentile(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private String markdown(List<Summary> summaries, String loadStart, String loadEnd) {
    StringBuilder sb = new StringBuilder();
    Options o = options;
    sb.append(
        String.format(
            Locale.ROOT,
            "### HTTP end to end: POST that inserts one row, bare vs @Idempotent (JDBC store)%n%n"
                + "mode %s: %s connections, %s warm-up per endpoint, %d × %s rounds; load average"
                + " at the start %s, at the end %s; %d CPUs, %s %s%n%n",
            o.mode(),
            o.connections(),
            human(o.warmup()),
            o.rounds(),
            human(o.round()),
            loadStart,
            loadEnd,
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("java.vm.name"),
            System.getProperty("java.runtime.version")));
    sb.append(
        "| connections | endpoint | requests/s (median) | × bare | p50 ms | × bare | p99 ms |"
            + " × bare | max ms | round trips / request | JVM CPU µs / request | × bare |"
            + " requests (failed) |\n");
    sb.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    Map<Integer, Map<Endpoint, Summary>> by = new TreeMap<>();
    for (Summary s : summaries) {
      by.computeIfAbsent(s.connections(), k -> new EnumMap<>(Endpoint.class)).put(s.endpoint(), s);
    }
    by.forEach(
        (c, m) -> {
          Summary bare = m.get(Endpoint.BARE);
          for (Summary s : m.values()) {
            sb.append(
                String.format(
                    Locale.ROOT,
                    "| %d | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.0f |"
                        + " %.2f | %d (%d) |%n",
                    c,
                    s.endpoint().label,
                    s.medianPerSecond(),
                    s.medianPerSecond() / bare.medianPerSecond(),
                    s.p50Millis(),
                    s.p50Millis() / bare.p50Millis(),
                    s.p99Millis(),
                    s.p99Millis() / bare.p99Millis(),
                    s.maxMillis(),
                    s.roundTripsPerRequest(),
                    s.cpuMicrosPerRequest(),
                    s.cpuMicrosPerRequest() / bare.cpuMicrosPerRequest(),
                    s.requests(),
                    s.failed()));
          }
        });
    sb.append("\nrequests/s by round:");
    by.forEach(
        (c, m) ->
            m.values()
                .forEach(
                    s ->
                        sb.append(
                            String.format(
                                Locale.ROOT,
                                " c=%d %s %s;",
                                c,
                                s.endpoint().label,
                                s.perSecondByRound().stream()
                                    .map(v -> String.format(Locale.ROOT, "%.0f", v))
                                    .toList()))));
    sb.append("\n\nTargets (issue 18):\n\n");
    by.forEach(
        (c, m) -> {
          double bare = m.get(Endpoint.BARE).medianPerSecond();
          double newKey = m.get(Endpoint.NEW_KEY).medianPerSecond() / bare;
          double replay = m.get(Endpoint.REPLAY).medianPerSecond() / bare;
          sb.append(
              String.format(
                  Locale.ROOT,
                  "- %d connections: new key %.2f× bare requests/s (target ≥ 0.60: %s), replay"
                      + " %.2f× (target ≥ 1.50: %s); p99 new key %.2f×, replay %.2f× bare%n",
                  c,
                  newKey,
                  newKey >= 0.6 ? "met" : "missed",
                  replay,
                  replay >= 1.5 ? "met" : "missed",
                  m.get(Endpoint.NEW_KEY).p99Millis() / m.get(Endpoint.BARE).p99Millis(),
                  m.get(Endpoint.REPLAY).p99Millis() / m.get(Endpoint.BARE).p99Millis()));
        });
    return sb.toString();
  }

  private static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }
}
