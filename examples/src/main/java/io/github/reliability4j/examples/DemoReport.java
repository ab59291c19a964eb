package io.github.reliability4j.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Drives a running demo service over HTTP, exactly as a client would, and prints what happened.
 * Each scenario first shows the failure reliability4j prevents, then the guarantee holding.
 *
 * <p>Works against any instance of the service (it uses fresh account and profile ids on every
 * run), but the replica-lag and pool scenarios need the trouble endpoints, i.e. the embedded
 * cluster.
 */
public final class DemoReport {

  /** Concurrent retries of one payment. */
  public static final int RETRIES = 20;

  /** reliability-spring's application/health+json endpoint, per probe kind. */
  static final String READY = "/actuator/healthcheck/readiness";

  static final String LIVE = "/actuator/healthcheck/liveness";

  /** The header reliability-spring carries a client's consistency session in. */
  static final String CONSISTENCY = "Reliability-Consistency";

  private static final Duration POLL_DEADLINE = Duration.ofSeconds(20);

  private final URI base;
  private final PrintStream out;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final JsonMapper json = JsonMapper.builder().build();
  private final String runId = UUID.randomUUID().toString().substring(0, 8);
  private final List<String> failures = new ArrayList<>();

  public DemoReport(URI base, PrintStream out) {
    this.base = base;
    this.out = out;
  }

  /** The outcome of a run: every check that did not hold, empty if all held. */
  public record Result(List<String> failures) {
    public boolean allHeld() {
      return failures.isEmpty();
    }
  }

  /** Runs every scenario in order and returns which checks failed. */
  public Result run() throws InterruptedException {
    duplicatePayments();
    readYourWrites();
    truthfulHealth();
    badInput();
    paymentEvents();
    return new Result(List.copyOf(failures));
  }

  // ---------------------------------------------------------------- 1. duplicate requests

  void duplicatePayments() throws InterruptedException {
    out.println();
    out.println(
        "1. Duplicate requests: a client retries one payment of 25.00 EUR "
            + RETRIES
            + " times at once");

    String plainAccount = "acct-plain-" + runId;
    List<HttpResponse<String>> plain =
        concurrently(RETRIES, () -> post("/payments/unprotected", payment(plainAccount), null));
    long plainCharges = chargesOf(plainAccount);
    out.printf(
        "   without an Idempotency-Key   POST /payments/unprotected -> %s; rows charged: %d%n",
        statuses(plain), plainCharges);
    check(plainCharges == RETRIES, "without a key every retry should charge", plainCharges);

    String account = "acct-" + runId;
    String key = UUID.randomUUID().toString();
    List<HttpResponse<String>> keyed =
        concurrently(RETRIES, () -> post("/payments", payment(account), "\"" + key + "\""));
    long charges = chargesOf(account);
    Set<String> ids = new TreeSet<>();
    int replayed = 0;
    for (HttpResponse<String> r : keyed) {
      if (r.statusCode() == 201) {
        ids.add(read(r).path("id").asString());
      }
      if ("true".equals(r.headers().firstValue("Idempotent-Replayed").orElse(null))) {
        replayed++;
      }
    }
    out.printf(
        "   with Idempotency-Key \"%s...\"  POST /payments -> %s; rows charged: %d%n"
            + "      (@Idempotent + @Transactional: the key is completed in the payment's"
            + " transaction)%n",
        key.substring(0, 8), statuses(keyed), charges);
    out.printf(
        "      every client got payment %s (%d answers replayed with Idempotent-Replayed: true)%n",
        String.join(",", ids), replayed);
    check(charges == 1, "with a key exactly one payment must exist", charges);
    check(
        ids.size() == 1 && keyed.stream().allMatch(r -> r.statusCode() == 201),
        "every retry must get the same 201 payment",
        statuses(keyed) + " ids=" + ids);

    String txAccount = "acct-tx-" + runId;
    String txKey = "\"" + UUID.randomUUID() + "\"";
    List<HttpResponse<String>> transactional =
        concurrently(RETRIES, () -> post("/payments/transactional", payment(txAccount), txKey));
    long txCharges = chargesOf(txAccount);
    out.printf(
        "   the same with the engine API instead of the annotation%n"
            + "                                POST /payments/transactional -> %s; rows charged: %d%n",
        statuses(transactional), txCharges);
    check(txCharges == 1, "transactional mode: exactly one payment must exist", txCharges);
    check(
        transactional.stream().allMatch(r -> r.statusCode() == 201),
        "transactional mode: every retry must get 201",
        statuses(transactional));
    verdict(charges == 1 && txCharges == 1 ? "OK: " + RETRIES + " retries -> 1 payment" : "BROKEN");
  }

  private String payment(String account) {
    return "{\"account\":\"" + account + "\",\"amountCents\":2500,\"currency\":\"EUR\"}";
  }

  private long chargesOf(String account) {
    HttpResponse<String> r = get("/payments?account=" + account, null);
    return read(r).path("count").asLong(-1);
  }

  // ---------------------------------------------------------------- 2. read-your-writes

  void readYourWrites() throws InterruptedException {
    out.println();
    out.println("2. Read-after-write while the replica lags (WAL replay paused on replica-0)");
    HttpResponse<String> control = post("/trouble/replica-lag/off", "", null);
    if (control.statusCode() == 409) {
      out.println("   skipped: pausing replay needs the embedded cluster (external databases)");
      return;
    }
    String id = "p-" + runId;
    HttpResponse<String> v1 = put(id, "Ada v1");
    require(v1.statusCode() == 200, "PUT /profiles/" + id, v1);
    // Start from a replica that serves reads and has the profile, so the stale read below shows
    // an old version.
    HttpResponse<String> replicated =
        poll(
            () -> get("/profiles/" + id, null),
            r ->
                r.statusCode() == 200
                    && read(r).path("version").asLong() == 1
                    && servedBy(r).startsWith("replica"));
    require(replicated != null, "replica-0 never replayed profile v1", null);

    post("/trouble/replica-lag/on", "", null);
    HttpResponse<String> v2 = put(id, "Ada v2");
    require(v2.statusCode() == 200, "PUT /profiles/" + id, v2);
    String token = v2.headers().firstValue(CONSISTENCY).orElse(null);
    out.printf(
        "   PUT /profiles/%s {\"displayName\":\"Ada v2\"} -> version %d, Reliability-Consistency: %s%n",
        id, read(v2).path("version").asLong(), abbreviate(token));

    HttpResponse<String> fresh = get("/profiles/" + id, token);
    HttpResponse<String> stale = get("/profiles/" + id, null);
    long freshVersion = fresh.statusCode() == 200 ? read(fresh).path("version").asLong() : -1;
    long staleVersion = stale.statusCode() == 200 ? read(stale).path("version").asLong() : -1;
    out.printf("   GET with the token     -> version %d from %s%n", freshVersion, servedBy(fresh));
    out.printf(
        "   GET without the token  -> version %d from %s   <- the update looks lost%n",
        staleVersion, servedBy(stale));

    post("/trouble/replica-lag/off", "", null);
    HttpResponse<String> caughtUp =
        poll(
            () -> get("/profiles/" + id, null),
            r -> r.statusCode() == 200 && read(r).path("version").asLong() == 2);
    out.printf(
        "   replay resumed         -> replica-0 serves version %s%n",
        caughtUp == null ? "1 still (did not catch up)" : "2");

    check(freshVersion == 2, "the read with the token must see version 2", freshVersion);
    check(
        staleVersion == 1 && servedBy(stale).startsWith("replica"),
        "the read without the token should be served stale by the paused replica",
        staleVersion + " from " + servedBy(stale));
    check(caughtUp != null, "replica-0 should catch up after replay resumes", "no");
    verdict(freshVersion == 2 ? "OK: read-your-writes across requests" : "BROKEN");
  }

  private HttpResponse<String> put(String id, String displayName) {
    return send(
        HttpRequest.newBuilder(base.resolve("/profiles/" + id))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString("{\"displayName\":\"" + displayName + "\"}")));
  }

  private static String servedBy(HttpResponse<String> r) {
    return r.headers().firstValue("Served-By").orElse("?");
  }

  // ---------------------------------------------------------------- 3. truthful health

  void truthfulHealth() throws InterruptedException {
    out.println();
    out.println("3. Health while the primary connection pool is exhausted");
    HttpResponse<String> ready0 = poll(() -> get(READY, null), r -> hasStatus(r, "pass"));
    out.printf(
        "   before:  readiness %s, liveness %s%n",
        describe(ready0 != null ? ready0 : get(READY, null)), describe(get(LIVE, null)));

    HttpResponse<String> exhaust = post("/trouble/pool-exhaust/on", "", null);
    out.printf(
        "   a leak holds %d of %d primary connections%n",
        read(exhaust).path("heldPrimaryConnections").asInt(),
        read(exhaust).path("primaryPoolSize").asInt());
    // Wait for the pool's own check: another one (replication lag) may warn meanwhile, and
    // readiness
    // must be seen to react to the exhausted pool, not to something else.
    HttpResponse<String> readyDuring =
        poll(
            () -> get(READY, null),
            r -> (hasStatus(r, "warn") || hasStatus(r, "fail")) && poolCheckNotPassing(r));
    HttpResponse<String> liveDuring = get(LIVE, null);
    HttpResponse<String> paymentDuring =
        post("/payments/unprotected", payment("acct-during-" + runId), null);
    out.printf("   during:  readiness %s%n", describe(readyDuring));
    if (readyDuring != null) {
      for (String line : failingChecks(readyDuring)) {
        out.println("              " + line);
      }
    }
    out.printf(
        "            liveness  %s   <- not restarted for a busy pool%n", describe(liveDuring));
    out.printf(
        "            a payment  -> %d %s%n",
        paymentDuring.statusCode(), paymentDuring.headers().firstValue("Content-Type").orElse(""));
    // The payment waited for a connection and timed out: the instance cannot serve, so readiness
    // fails and a load balancer stops sending it traffic.
    HttpResponse<String> readyFailing =
        poll(() -> get(READY, null), r -> r.statusCode() == 503 && hasStatus(r, "fail"));
    out.printf(
        "   after the payment timed out: readiness %s%n",
        readyFailing == null ? "did not fail" : describe(readyFailing));
    if (readyFailing != null) {
      for (String line : failingChecks(readyFailing)) {
        out.println("              " + line);
      }
    }

    post("/trouble/pool-exhaust/off", "", null);
    HttpResponse<String> readyAfter = poll(() -> get(READY, null), r -> hasStatus(r, "pass"));
    out.printf(
        "   after release: readiness %s%n",
        readyAfter == null ? "did not recover" : describe(readyAfter));

    check(
        readyDuring != null, "readiness must report warn or fail while the pool is exhausted", "");
    check(
        hasStatus(liveDuring, "pass") && liveDuring.statusCode() == 200,
        "liveness must keep passing while the pool is exhausted",
        describe(liveDuring));
    check(
        readyFailing != null,
        "readiness must answer 503 once requests time out waiting for a connection",
        describe(get(READY, null)));
    check(readyAfter != null, "readiness must recover after the pool is released", "");
    verdict(
        readyDuring != null && readyFailing != null && hasStatus(liveDuring, "pass")
            ? "OK: readiness tells the truth, liveness stays up"
            : "BROKEN");
  }

  /**
   * True if a readiness check of a connection pool ({@code <name>-pool:utilization}) is not pass.
   */
  private boolean poolCheckNotPassing(HttpResponse<String> r) {
    for (Map.Entry<String, JsonNode> check : read(r).path("checks").properties()) {
      if (check.getKey().contains("-pool:")) {
        for (JsonNode entry : check.getValue()) {
          if (!"pass".equals(entry.path("status").asString())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private boolean hasStatus(HttpResponse<String> r, String status) {
    return r != null && status.equals(read(r).path("status").asString());
  }

  private String describe(HttpResponse<String> r) {
    return r == null
        ? "(no answer)"
        : read(r).path("status").asString() + " (" + r.statusCode() + ")";
  }

  private List<String> failingChecks(HttpResponse<String> r) {
    List<String> lines = new ArrayList<>();
    JsonNode checks = read(r).path("checks");
    for (Map.Entry<String, JsonNode> check : checks.properties()) {
      for (JsonNode entry : check.getValue()) {
        String status = entry.path("status").asString();
        if (!"pass".equals(status)) {
          String line = check.getKey() + " " + status + ": " + entry.path("output").asString();
          lines.add(line.length() <= 120 ? line : line.substring(0, 117) + "...");
        }
      }
    }
    return lines;
  }

  // ---------------------------------------------------------------- 4. bad input

  void badInput() {
    out.println();
    out.println("4. Bad input gets application/problem+json, never a stack trace");
    problem("POST /payments without Idempotency-Key", post("/payments", payment("a"), null), 400);
    problem(
        "POST /payments with malformed JSON",
        post("/payments", "{\"account\":", "\"bad-json-" + runId + "\""),
        400);
    problem("GET /profiles/unknown-" + runId, get("/profiles/unknown-" + runId, null), 404);
  }

  // ---------------------------------------------------------------- 5. message redelivery

  /** Events published while the consumer is paused; above the lag probe's warn threshold (10). */
  static final int PAUSED_EVENTS = 25;

  void paymentEvents() throws InterruptedException {
    out.println();
    out.println("5. Message redelivery: payment events from Kafka, applied by @IdempotentListener");
    String account = "acct-events-" + runId;
    String key = "evt-" + UUID.randomUUID();
    post("/payment-events/consumer/crash-after-commit?key=" + key, "", null);
    long runsBefore = read(get("/payment-events/consumer", null)).path("handlerRuns").asLong();
    double duplicatesBefore = listenerCount("duplicate");
    HttpResponse<String> sent = post("/payment-events", payment(account), key);
    require(sent.statusCode() == 202, "POST /payment-events", sent);
    HttpResponse<String> skipped =
        poll(
            () -> get("/payment-events/consumer", null),
            r -> listenerCount("duplicate") > duplicatesBefore);
    long runs =
        read(get("/payment-events/consumer", null)).path("handlerRuns").asLong() - runsBefore;
    long charges = chargesOf(account);
    out.printf(
        "   event \"%s...\" (25.00 EUR); the consumer fails after the database commit,%n"
            + "   before its offset commit (as if killed there): the event is delivered again%n"
            + "      deliveries: 2; handler ran: %d; redelivery skipped as duplicate: %s;"
            + " rows charged: %d%n",
        key.substring(0, 12), runs, skipped != null ? "yes" : "NO", charges);
    check(skipped != null, "the redelivered event must be skipped as a duplicate", "");
    check(charges == 1, "a redelivered event must charge exactly once", charges);
    check(runs == 1, "the handler must run once for the event and its redelivery", runs);

    // The health model first: readiness passes (the pool section's failure window has passed).
    HttpResponse<String> readyBefore = poll(() -> get(READY, null), r -> hasStatus(r, "pass"));
    post("/payment-events/consumer/pause", "", null);
    String pausedAccount = "acct-paused-" + runId;
    for (int i = 0; i < PAUSED_EVENTS; i++) {
      post("/payment-events", payment(pausedAccount), "evt-paused-" + runId + "-" + i);
    }
    HttpResponse<String> readyPaused =
        poll(() -> get(READY, null), r -> hasStatus(r, "warn") && lagCheckNotPassing(r));
    long chargedWhilePaused = chargesOf(pausedAccount);
    out.printf(
        "   consumer paused, %d events published: readiness %s; rows charged so far: %d%n",
        PAUSED_EVENTS, describe(readyPaused), chargedWhilePaused);
    if (readyPaused != null) {
      for (String line : failingChecks(readyPaused)) {
        out.println("              " + line);
      }
    }
    post("/payment-events/consumer/resume", "", null);
    HttpResponse<String> caughtUp =
        poll(
            () -> get("/payments?account=" + pausedAccount, null),
            r -> chargesOf(pausedAccount) == PAUSED_EVENTS);
    HttpResponse<String> readyAfter = poll(() -> get(READY, null), r -> hasStatus(r, "pass"));
    out.printf(
        "   consumer resumed: rows charged %d; readiness %s after catch-up%n",
        chargesOf(pausedAccount), readyAfter == null ? "did not recover" : describe(readyAfter));
    check(readyBefore != null, "readiness must pass before the consumer is paused", "");
    check(
        readyPaused != null,
        "readiness must warn (consumer lag) while the consumer is paused",
        describe(get(READY, null)));
    check(caughtUp != null, "the consumer must apply every event after it resumed", "");
    check(readyAfter != null, "readiness must pass again after the consumer caught up", "");
    verdict(
        skipped != null && charges == 1 && readyPaused != null && readyAfter != null
            ? "OK: a redelivery has one effect; a paused consumer shows in readiness"
            : "BROKEN");
  }

  /** True if the Kafka consumer-lag check ({@code kafka-consumer-lag:lag}) is not pass. */
  private boolean lagCheckNotPassing(HttpResponse<String> r) {
    for (Map.Entry<String, JsonNode> check : read(r).path("checks").properties()) {
      if (check.getKey().startsWith("kafka-consumer-lag")) {
        for (JsonNode entry : check.getValue()) {
          if (!"pass".equals(entry.path("status").asString())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The payment-events listener's message counter for one outcome, from Actuator. */
  private double listenerCount(String outcome) {
    HttpResponse<String> r =
        get(
            "/actuator/metrics/reliability.messaging.listener.messages?tag=listener:payment-events"
                + "&tag=outcome:"
                + outcome,
            null);
    if (r.statusCode() != 200) {
      return 0;
    }
    for (JsonNode m : read(r).path("measurements")) {
      if ("COUNT".equals(m.path("statistic").asString())) {
        return m.path("value").asDouble();
      }
    }
    return 0;
  }

  private void problem(String what, HttpResponse<String> r, int expected) {
    String type = r.headers().firstValue("Content-Type").orElse("");
    boolean ok =
        r.statusCode() == expected
            && type.startsWith("application/problem+json")
            && !r.body().contains("Exception");
    out.printf("   %-42s -> %d %s%n", what, r.statusCode(), type);
    check(ok, what + " must answer " + expected + " problem+json", r.statusCode() + " " + type);
  }

  // ---------------------------------------------------------------- plumbing

  private void check(boolean held, String what, Object actual) {
    if (!held) {
      failures.add(what + " (was: " + actual + ")");
    }
  }

  private void require(boolean held, String what, HttpResponse<String> r) {
    if (!held) {
      throw new IllegalStateException(
          what + (r == null ? "" : " answered " + r.statusCode() + " " + r.body()));
    }
  }

  private void verdict(String text) {
    out.println("   " + text);
  }

  private static String abbreviate(String token) {
    return token == null ? "(none)" : token.substring(0, Math.min(18, token.length())) + "...";
  }

  private static String statuses(List<HttpResponse<String>> responses) {
    Map<Integer, Integer> counts = new TreeMap<>();
    responses.forEach(r -> counts.merge(r.statusCode(), 1, Integer::sum));
    StringBuilder s = new StringBuilder();
    counts.forEach(
        (status, n) -> s.append(s.length() == 0 ? "" : ", ").append(n).append("x ").append(status));
    return s.toString();
  }

  private JsonNode read(HttpResponse<String> r) {
    try {
      return json.readTree(r.body());
    } catch (RuntimeException e) {
      return json.createObjectNode();
    }
  }

  private HttpResponse<String> post(String path, String body, String idempotencyKey) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return send(request);
  }

  private HttpResponse<String> get(String path, String consistencyToken) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).GET();
    if (consistencyToken != null) {
      request.header(CONSISTENCY, consistencyToken);
    }
    return send(request);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(
          request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static HttpResponse<String> poll(
      Callable<HttpResponse<String>> call, Predicate<HttpResponse<String>> done)
      throws InterruptedException {
    return poll(call, done, POLL_DEADLINE);
  }

  /** Polls until {@code done} holds or {@code timeout} passes; null on timeout. */
  private static HttpResponse<String> poll(
      Callable<HttpResponse<String>> call, Predicate<HttpResponse<String>> done, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      HttpResponse<String> r;
      try {
        r = call.call();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      if (done.test(r)) {
        return r;
      }
      if (System.nanoTime() - deadline > 0) {
        return null;
      }
      Thread.sleep(100);
    }
  }

  /** Starts {@code n} copies of {@code call} at the same instant and waits for all. */
  private static List<HttpResponse<String>> concurrently(int n, Callable<HttpResponse<String>> call)
      throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<HttpResponse<String>>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return call.call();
                }));
      }
      start.countDown();
      List<HttpResponse<String>> responses = new ArrayList<>();
      for (Future<HttpResponse<String>> f : futures) {
        try {
          responses.add(f.get());
        } catch (ExecutionException e) {
          throw new IllegalStateException("request failed", e.getCause());
        }
      }
      return responses;
    } finally {
      pool.shutdownNow();
    }
  }
}
