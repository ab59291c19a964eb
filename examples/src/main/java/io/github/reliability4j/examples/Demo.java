package io.github.reliability4j.examples;

import io.github.reliability4j.examples.service.DemoApplication;
import io.github.reliability4j.examples.service.EmbeddedKafka;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Entry point of the scripted demo, run by {@code ./mvnw -B -q -Pdemo -pl examples -am -DskipTests
 * verify}.
 *
 * <ul>
 *   <li>{@code report} (default): starts the service on a free port (embedded PostgreSQL primary
 *       and streaming replica, embedded Kafka broker), drives it over HTTP, prints the report,
 *       stops everything and exits 0 if every guarantee held, 1 otherwise.
 *   <li>{@code serve}: starts the service on port 8080 and keeps it running (Ctrl+C stops it).
 * </ul>
 *
 * Further words are Spring Boot properties, e.g. {@code serve --server.port=9090} or {@code serve
 * --demo.primary.url=jdbc:postgresql://db:5432/app}.
 */
public final class Demo {

  /** Signs consistency tokens in the report run only; a real service keeps its secret secret. */
  private static final String DEMO_TOKEN_SECRET = "demo-report-only-secret-0123456789abcdef";

  private Demo() {}

  public static void main(String[] args) throws Exception {
    List<String> words = new ArrayList<>();
    // -Ddemo.args="serve --server.port=9090" arrives as one argument.
    for (String arg : args) {
      words.addAll(Arrays.asList(arg.trim().split("\\s+")));
    }
    words.removeIf(String::isEmpty);
    String mode = words.isEmpty() ? "report" : words.remove(0);
    String[] springArgs = words.toArray(String[]::new);
    switch (mode) {
      case "report" -> System.exit(report(springArgs));
      case "serve" -> serve(springArgs);
      default -> {
        System.err.println("usage: Demo [report|serve] [--spring.property=value ...]");
        System.exit(2);
      }
    }
  }

  static int report(String... springArgs) {
    long started = System.nanoTime();
    System.out.println("reliability4j demo: starting the payments+profiles service");
    List<String> args = new ArrayList<>();
    args.add("--server.port=0");
    // The report is the output; the service's own logs would interleave with it.
    args.add("--spring.main.log-startup-info=false");
    args.add("--logging.level.io.github.reliability4j=WARN");
    // Servers stopping under pools at exit make HikariCP log broken connections; not news here.
    args.add("--logging.level.com.zaxxer.hikari=ERROR");
    args.add("--reliability.routing.token-secret=" + DEMO_TOKEN_SECRET);
    args.add("--logging.level.io.github.reliability4j.examples.service.ProblemResponses=ERROR");
    // The embedded broker's own warnings (a fresh metadata log, clients closing at exit).
    args.add("--logging.level.org.apache.kafka=ERROR");
    args.add("--logging.level.kafka=ERROR");
    args.addAll(Arrays.asList(springArgs));
    try (ConfigurableApplicationContext service =
        DemoApplication.start(args.toArray(String[]::new))) {
      int port = Integer.parseInt(service.getEnvironment().getProperty("local.server.port"));
      System.out.printf(
          "service on http://localhost:%d (embedded PostgreSQL 14: primary + 1 streaming replica)%n",
          port);
      service
          .getBean(EmbeddedKafka.Broker.class)
          .embeddedStartup()
          .ifPresent(
              d ->
                  System.out.printf(
                      "embedded Kafka broker (KRaft, in this JVM) for the payment events, started"
                          + " in %.1f s%n",
                      d.toMillis() / 1e3));
      DemoReport.Result result =
          new DemoReport(URI.create("http://localhost:" + port), System.out).run();
      System.out.println();
      if (result.allHeld()) {
        System.out.printf("All guarantees held (%.1f s).%n", (System.nanoTime() - started) / 1e9);
        return 0;
      }
      System.out.println("NOT HELD:");
      result.failures().forEach(f -> System.out.println("  - " + f));
      return 1;
    } catch (Exception e) {
      System.out.println("Demo failed: " + e);
      e.printStackTrace(System.out);
      return 1;
    }
  }

  static void serve(String... springArgs) {
    ConfigurableApplicationContext service = DemoApplication.start(springArgs);
    String port = service.getEnvironment().getProperty("local.server.port");
    System.out.printf(
        "reliability4j demo service on http://localhost:%s - see README.md for curl lines;"
            + " Ctrl+C stops it%n",
        port);
  }
}
