package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.core.health.ProbeWeight;
import io.github.reliability4j.jdbc.health.ReplicaLagProbe;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.spring.health.HealthCheckerCustomizer;
import java.lang.management.ManagementFactory;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The demo service: payments (idempotent POST) and profiles (routed to primary and replica with
 * read-your-writes across requests), with truthful health probes and trouble injection.
 *
 * <p>Everything reliability4j does here comes from {@code reliability-spring}'s auto-configuration
 * and {@code application.properties}: the DataSource is wrapped for read routing because a replica
 * is configured, {@code @Idempotent} uses the JDBC store in the same database, the health checker
 * probes the primary, the replica and their pools and feeds Actuator. This class only adds a
 * liveness probe and a replica-lag probe of its own. Payment events from Kafka (an embedded KRaft
 * broker unless {@code demo.kafka.bootstrap-servers} is set) are applied by {@link
 * PaymentEventsListener} through {@code @IdempotentListener}; the consumer-lag probe comes from the
 * auto-configuration.
 *
 * <p>Run it with {@code ./mvnw -B -q -Pdemo -pl examples -am -DskipTests verify -Ddemo.args=serve};
 * it listens on port 8080 unless {@code --server.port} says otherwise.
 */
@SpringBootApplication
@EnableConfigurationProperties(DemoProperties.class)
public class DemoApplication {

  /** Starts the service; {@code args} are Spring Boot command-line properties. */
  public static ConfigurableApplicationContext start(String... args) {
    SpringApplication app = new SpringApplication(DemoApplication.class);
    app.addInitializers(new EmbeddedPostgres(), new EmbeddedKafka());
    return app.run(args);
  }

  public static void main(String[] args) {
    start(args);
  }

  /** The only liveness probe: a deadlocked JVM cannot make progress, a slow database can. */
  @Bean
  ProbeRegistration deadlockProbe() {
    return ProbeRegistration.builder(
            "jvm",
            ctx -> {
              long[] ids = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
              int n = ids == null ? 0 : ids.length;
              return ProbeResult.builder(n == 0 ? HealthStatus.PASS : HealthStatus.FAIL)
                  .observed(n, "threads")
                  .build();
            })
        .componentType("system")
        .measurement("deadlocks")
        .internal()
        .kinds(ProbeKind.LIVENESS, ProbeKind.READINESS, ProbeKind.DEEP)
        .build();
  }

  /**
   * Replica lag from the router's own lag monitor (no extra queries), degrading: a lagging replica
   * makes the instance WARN while reads that need fresh data fall back to the primary.
   */
  @Bean
  HealthCheckerCustomizer replicaLagProbe(DataSource dataSource) {
    return builder -> {
      try {
        if (dataSource.isWrapperFor(ReplicaRoutingDataSource.class)) {
          ReplicaRoutingDataSource routing = dataSource.unwrap(ReplicaRoutingDataSource.class);
          builder.probe(
              ProbeRegistration.builder(
                      "replicas", ReplicaLagProbe.builder(routing.lagView()).build())
                  .componentType("datastore")
                  .measurement("replicationLag")
                  .weight(ProbeWeight.DEGRADING)
                  .build());
        }
      } catch (SQLException e) {
        throw new IllegalStateException("cannot inspect the DataSource", e);
      }
    };
  }

  @Bean
  ApplicationRunner awaitReplicas(EmbeddedPostgres.Cluster cluster) {
    return args -> EmbeddedPostgres.awaitReplicas(cluster);
  }
}
