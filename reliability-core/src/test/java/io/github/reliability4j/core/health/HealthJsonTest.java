package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

/** health+json output against the field rules of draft-inadarei-api-health-check-06. */
class HealthJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Set<String> TOP_LEVEL =
      Set.of(
          "status",
          "version",
          "releaseId",
          "notes",
          "output",
          "checks",
          "links",
          "serviceId",
          "description");
  private static final Set<String> CHECK_ENTRY =
      Set.of(
          "componentId",
          "componentType",
          "observedValue",
          "observedUnit",
          "status",
          "affectedEndpoints",
          "time",
          "output",
          "links",
          "details");
  private static final Set<String> STATUSES = Set.of("pass", "warn", "fail");

  private final FakeClock clock = new FakeClock();
  private final FakeScheduler scheduler = new FakeScheduler(clock);
  private final ScriptedProbe db = new ScriptedProbe();
  private final ScriptedProbe cache = new ScriptedProbe();
  private HealthChecker checker;
  private final HealthJson json =
      HealthJson.custom()
          .serviceId("orders")
          .version("1")
          .releaseId("1.4.2")
          .description("order service")
          .cacheMaxAge(Duration.ofSeconds(5))
          .build();

  @BeforeEach
  void setUp() {
    checker =
        HealthChecker.builder()
            .config(
                HealthCheckerConfig.custom()
                    .deadline(Duration.ofSeconds(1))
                    .jitter(0)
                    .recoveryThreshold(1)
                    .build())
            .clock(clock)
            .scheduler(scheduler)
            .executor(Runnable::run)
            .probe(
                ProbeRegistration.builder(
                        "primary-db",
                        ctx ->
                            ProbeResult.builder(db.check(ctx).status())
                                .observed(12.5, "ms")
                                .output("select 1 took 12.5 ms on db-7.internal")
                                .detail("host", "db-7.internal")
                                .build())
                    .componentType("datastore")
                    .measurement("responseTime")
                    .build())
            .probe(
                ProbeRegistration.builder("cache", cache)
                    .componentType("component")
                    .weight(ProbeWeight.DEGRADING)
                    .build())
            .probe(
                ProbeRegistration.builder(
                        "secrets",
                        ctx -> {
                          throw new IllegalStateException("password=hunter2 \"rejected\"\n");
                        })
                    .weight(ProbeWeight.INFORMATIONAL)
                    .build())
            .build();
    checker.start();
    scheduler.advance(Duration.ofSeconds(1));
  }

  @AfterEach
  void tearDown() {
    checker.close();
  }

  @Test
  void passReportFollowsTheDraftsFieldRules() {
    HealthResponse response =
        json.respond(checker.report(ProbeKind.READINESS), RedactionLevel.FULL);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.contentType()).isEqualTo("application/health+json");
    assertThat(response.cacheControl()).isEqualTo("max-age=5, must-revalidate");
    Map<String, Object> doc = parse(response.body());
    assertValid(doc);
    assertThat(doc.get("status")).isEqualTo("pass");
    assertThat(doc).containsEntry("serviceId", "orders").containsEntry("releaseId", "1.4.2");
    Map<String, Object> checks = map(doc.get("checks"));
    assertThat(checks)
        .containsOnlyKeys("primary-db:responseTime", "cache:status", "secrets:status");
    Map<String, Object> dbEntry = entry(checks, "primary-db:responseTime");
    assertThat(dbEntry)
        .containsEntry("componentId", "primary-db")
        .containsEntry("componentType", "datastore")
        .containsEntry("observedValue", 12.5)
        .containsEntry("observedUnit", "ms")
        .containsEntry("status", "pass")
        .containsEntry("time", "2026-01-01T00:00:00Z")
        .containsEntry("output", "select 1 took 12.5 ms on db-7.internal");
    assertThat(map(dbEntry.get("details"))).containsEntry("host", "db-7.internal");
    Map<String, Object> secrets = entry(checks, "secrets:status");
    assertThat(secrets.get("status")).isEqualTo("fail");
    assertThat(secrets.get("output"))
        .isEqualTo("java.lang.IllegalStateException: password=hunter2 \"rejected\"\n");
  }

  @Test
  void warnAnswers200AndFailAnswers503() {
    cache.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    HealthResponse warn = json.respond(checker.report(ProbeKind.READINESS), RedactionLevel.FULL);
    assertThat(warn.statusCode()).isEqualTo(200);
    assertThat(warn.cacheControl()).isEqualTo("max-age=5, must-revalidate");
    Map<String, Object> doc = parse(warn.body());
    assertValid(doc);
    assertThat(doc.get("status")).isEqualTo("warn");
    assertThat(entry(map(doc.get("checks")), "cache:status").get("status")).isEqualTo("fail");

    db.set(HealthStatus.FAIL);
    scheduler.advance(Duration.ofSeconds(10));
    HealthResponse fail = json.respond(checker.report(ProbeKind.READINESS), RedactionLevel.FULL);
    assertThat(fail.statusCode()).isEqualTo(503);
    assertThat(fail.cacheControl()).as("a failure is never cached").isEqualTo("no-store");
    assertValid(parse(fail.body()));
    assertThat(parse(fail.body()).get("status")).isEqualTo("fail");

    checker.drain();
    db.set(HealthStatus.PASS);
    cache.set(HealthStatus.PASS);
    scheduler.advance(Duration.ofSeconds(10));
    HealthResponse draining =
        json.respond(checker.report(ProbeKind.READINESS), RedactionLevel.COMPONENTS);
    assertThat(draining.statusCode()).isEqualTo(503);
    assertThat(draining.cacheControl()).isEqualTo("no-store");
    assertThat(parse(draining.body()))
        .containsEntry("status", "fail")
        .containsEntry("output", "draining");
  }

  @Test
  void unknownIsWrittenAsFailWithAReason() {
    scheduler.kill();
    clock.advance(Duration.ofHours(1));
    HealthResponse r = json.respond(checker.report(ProbeKind.READINESS), RedactionLevel.COMPONENTS);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.cacheControl()).isEqualTo("no-store");
    Map<String, Object> doc = parse(r.body());
    assertValid(doc);
    assertThat(doc.get("status")).isEqualTo("fail");
    assertThat(entry(map(doc.get("checks")), "primary-db:responseTime"))
        .containsEntry("status", "fail")
        .containsEntry("output", "stale result");
  }

  @Test
  void cacheMaxAgeIsWholeSecondsAndZeroOrUnsetMeansNoStore() {
    HealthReport pass = checker.report(ProbeKind.READINESS);
    assertThat(pass.httpStatus()).isEqualTo(200);
    assertThat(cacheControl(HealthJson.ofDefaults(), pass)).isEqualTo("no-store");
    assertThat(cacheControl(HealthJson.custom().cacheMaxAge(Duration.ZERO).build(), pass))
        .isEqualTo("no-store");
    assertThat(cacheControl(HealthJson.custom().cacheMaxAge(Duration.ofMillis(999)).build(), pass))
        .as("under a second rounds down to no caching, never up")
        .isEqualTo("no-store");
    assertThat(cacheControl(HealthJson.custom().cacheMaxAge(Duration.ofMillis(2999)).build(), pass))
        .isEqualTo("max-age=2, must-revalidate");
    assertThat(cacheControl(HealthJson.custom().cacheMaxAge(Duration.ofMinutes(1)).build(), pass))
        .isEqualTo("max-age=60, must-revalidate");
    assertThatThrownBy(() -> HealthJson.custom().cacheMaxAge(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cacheMaxAge must not be negative, but was PT-1S");
  }

  private static String cacheControl(HealthJson json, HealthReport report) {
    return json.respond(report, RedactionLevel.STATUS_ONLY).cacheControl();
  }

  @Test
  void redactionLevelsWithholdDetails() {
    HealthReport report = checker.report(ProbeKind.READINESS);
    String statusOnly = json.write(report, RedactionLevel.STATUS_ONLY);
    assertThat(statusOnly).isEqualTo("{\"status\":\"pass\"}");

    String components = json.write(report, RedactionLevel.COMPONENTS);
    Map<String, Object> doc = parse(components);
    assertValid(doc);
    assertThat(components).doesNotContain("hunter2").doesNotContain("db-7").doesNotContain("12.5");
    Map<String, Object> checks = map(doc.get("checks"));
    assertThat(entry(checks, "secrets:status"))
        .containsOnlyKeys("componentId", "status", "time", "output")
        .containsEntry("output", "probe threw an exception");
    assertThat(entry(checks, "primary-db:responseTime"))
        .containsOnlyKeys("componentId", "componentType", "status", "time");

    assertThat(json.write(report, RedactionLevel.FULL)).contains("hunter2").contains("db-7");
  }

  @Test
  void groupsAreWrittenWithTheirAvailableCount() {
    HealthChecker withGroup =
        HealthChecker.builder()
            .config(HealthCheckerConfig.custom().jitter(0).build())
            .clock(clock)
            .scheduler(scheduler)
            .executor(Runnable::run)
            .probe(ProbeRegistration.builder("r1", ctx -> ProbeResult.pass()).kinds().build())
            .probe(ProbeRegistration.builder("r2", ctx -> ProbeResult.fail("down")).kinds().build())
            .group(ProbeGroup.kOfN("replicas", 1, "r1", "r2").componentType("datastore").build())
            .build();
    try {
      withGroup.start();
      scheduler.runDue();
      Map<String, Object> doc =
          parse(
              HealthJson.ofDefaults()
                  .write(withGroup.report(ProbeKind.READINESS), RedactionLevel.FULL));
      assertValid(doc);
      assertThat(entry(map(doc.get("checks")), "replicas:available"))
          .containsEntry("observedValue", 1)
          .containsEntry("observedUnit", "count")
          .containsEntry("status", "pass");
    } finally {
      withGroup.close();
    }
  }

  private static void assertValid(Map<String, Object> doc) {
    assertThat(TOP_LEVEL).containsAll(doc.keySet());
    assertThat(STATUSES).contains((String) doc.get("status"));
    if (doc.containsKey("checks")) {
      for (Map.Entry<String, Object> e : map(doc.get("checks")).entrySet()) {
        assertThat(e.getKey()).matches("[^:]+:[^:]+");
        assertThat(e.getValue()).isInstanceOf(List.class);
        for (Object o : (List<?>) e.getValue()) {
          Map<String, Object> entry = map(o);
          assertThat(CHECK_ENTRY).containsAll(entry.keySet());
          assertThat(STATUSES).contains((String) entry.get("status"));
          assertThat(entry.get("componentId")).isEqualTo(e.getKey().split(":")[0]);
          if (entry.containsKey("time")) {
            Instant.parse((String) entry.get("time"));
          }
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String body) {
    return MAPPER.readValue(body, Map.class);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  private static Map<String, Object> entry(Map<String, Object> checks, String key) {
    List<?> list = (List<?>) checks.get(key);
    assertThat(list).hasSize(1);
    return map(list.get(0));
  }

  @Test
  void timedOutProbesAreReportedAsSuchAtEveryLevel() {
    ManualExecutor executor = new ManualExecutor();
    HealthChecker hung =
        HealthChecker.builder()
            .config(HealthCheckerConfig.custom().deadline(Duration.ofSeconds(1)).jitter(0).build())
            .clock(clock)
            .scheduler(scheduler)
            .executor(executor)
            .probe(
                ProbeRegistration.builder("hung", new BusyProbe(scheduler, Duration.ofMillis(1500)))
                    .build())
            .build();
    try {
      hung.start();
      scheduler.runDue();
      // The body runs 1.5 s: its 1 s deadline passes while it runs.
      executor.runAll();
      HealthReport report = hung.report(ProbeKind.READINESS);
      Map<String, Object> components = parse(json.write(report, RedactionLevel.COMPONENTS));
      assertValid(components);
      assertThat(entry(map(components.get("checks")), "hung:status"))
          .containsEntry("status", "fail")
          .containsEntry("output", "timed out");
      Map<String, Object> full = parse(json.write(report, RedactionLevel.FULL));
      assertThat((String) entry(map(full.get("checks")), "hung:status").get("output"))
          .isEqualTo("timed out: no result within the deadline of PT1S");
      assertThat(json.respond(report, RedactionLevel.STATUS_ONLY).statusCode()).isEqualTo(503);
    } finally {
      hung.close();
    }
  }
}
