package io.github.reliability4j.benchmarks.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.benchmarks.http.HttpEndpointHarness.Endpoint;
import io.github.reliability4j.benchmarks.http.HttpEndpointHarness.Options;
import io.github.reliability4j.benchmarks.http.HttpEndpointHarness.Result;
import io.github.reliability4j.benchmarks.http.HttpEndpointHarness.Summary;
import io.github.reliability4j.benchmarks.support.BenchDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The harness's smoke path against a real application and a real (embedded) PostgreSQL: every
 * endpoint answers, replays are replays, and the row checks hold. Timing is not asserted.
 */
class HttpEndpointHarnessTest {

  @Test
  void smokeRunMeasuresAllThreeEndpointsAndChecksTheirRows() throws Exception {
    Options options =
        new Options("smoke", List.of(2), Duration.ofMillis(200), Duration.ofMillis(500), 1);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    Result result;
    try (BenchDatabase db = BenchDatabase.open();
        PrintStream p = new PrintStream(progress, true, StandardCharsets.UTF_8)) {
      // run() throws if a response is not 201, if a replay is not marked as one (or a new key is),
      // or if the orders/keys tables do not hold one row per bare/new-key request.
      result = HttpEndpointHarness.run(db, options, p);
    }
    for (Endpoint e : Endpoint.values()) {
      Summary s = result.summary(2, e);
      assertThat(s.requests()).as(e.label).isPositive();
      assertThat(s.medianPerSecond()).as(e.label).isPositive();
      assertThat(s.p99Millis()).as(e.label).isGreaterThanOrEqualTo(s.p50Millis());
    }
    // Load-independent: a replay answers from the store without the handler's insert and commit.
    assertThat(result.summary(2, Endpoint.REPLAY).roundTripsPerRequest())
        .isLessThan(result.summary(2, Endpoint.BARE).roundTripsPerRequest());
    assertThat(result.summary(2, Endpoint.NEW_KEY).roundTripsPerRequest())
        .isGreaterThan(result.summary(2, Endpoint.BARE).roundTripsPerRequest());
    assertThat(result.markdown())
        .contains("| 2 | bare |", "| 2 | @Idempotent, new key |", "| 2 | @Idempotent, replay |")
        .contains("Targets (issue 18)");
    assertThat(progress.toString(StandardCharsets.UTF_8)).contains("application started on port");
  }

  @Test
  void aReplayedRequestIsTheSameKeyAndBody() {
    byte[] first = HttpEndpointHarness.request("/idempotent", 8080, 3, 1, 7);
    byte[] again = HttpEndpointHarness.request("/idempotent", 8080, 3, 1, 7);
    byte[] other = HttpEndpointHarness.request("/idempotent", 8080, 3, 1, 8);
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    assertThat(new String(first, StandardCharsets.US_ASCII))
        .startsWith("POST /idempotent HTTP/1.1\r\n")
        .contains("Idempotency-Key: order-3-1-7\r\n")
        .endsWith("\r\n\r\n{\"customer\":\"c-1\",\"amount\":7}");
  }

  @Test
  void percentilesAreNearestRank() {
    long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertThat(HttpEndpointHarness.percentile(sorted, 0.5)).isEqualTo(5);
    assertThat(HttpEndpointHarness.percentile(sorted, 0.99)).isEqualTo(10);
    assertThat(HttpEndpointHarness.percentile(new long[] {42}, 0.99)).isEqualTo(42);
    assertThat(HttpEndpointHarness.duration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(HttpEndpointHarness.duration("2.5s")).isEqualTo(Duration.ofMillis(2500));
    assertThat(HttpEndpointHarness.duration("PT3S")).isEqualTo(Duration.ofSeconds(3));
  }
}
