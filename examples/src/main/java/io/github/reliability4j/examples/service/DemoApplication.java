package io.github.reliability4j.examples.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The demo service: payments (idempotent POST) and profiles (routed to primary and replica with
 * read-your-writes across requests), with truthful health probes and trouble injection.
 *
 * <p>Run it with {@code ./mvnw -B -q -Pdemo -pl examples -am -DskipTests verify -Ddemo.args=serve};
 * it listens on port 8080 unless {@code --server.port} says otherwise.
 */
@SpringBootApplication
public class DemoApplication {

  /** Starts the service; {@code args} are Spring Boot command-line properties. */
  public static ConfigurableApplicationContext start(String... args) {
    SpringApplication app = new SpringApplication(DemoApplication.class);
    return app.run(args);
  }

  public static void main(String[] args) {
    start(args);
  }
}
