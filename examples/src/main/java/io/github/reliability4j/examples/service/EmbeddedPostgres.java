package io.github.reliability4j.examples.service;

import io.github.reliability4j.test.postgres.ClusterConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Starts an embedded PostgreSQL primary with one streaming replica before the context refreshes,
 * unless the application points at its own database, and hands it to Spring Boot and reliability4j
 * as ordinary properties:
 *
 * <pre>
 * spring.datasource.url=&lt;primary&gt;
 * reliability.routing.replicas[0].name=replica-0
 * reliability.routing.replicas[0].url=&lt;replica&gt;
 * </pre>
 *
 * Nothing else in the service knows the database is embedded, except the trouble endpoints, which
 * look the cluster up as the bean {@link EmbeddedPostgres.Cluster}. Skipped when {@code
 * spring.datasource.url} is set or {@code demo.embedded=false}.
 */
public final class EmbeddedPostgres
    implements ApplicationContextInitializer<ConfigurableApplicationContext> {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);

  /** The embedded cluster, or empty when the service runs against external databases. */
  public static final class Cluster implements DisposableBean {

    private final PostgresCluster cluster;

    Cluster(PostgresCluster cluster) {
      this.cluster = cluster;
    }

    public Optional<PostgresCluster> get() {
      return Optional.ofNullable(cluster);
    }

    @Override
    public void destroy() {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Override
  public void initialize(ConfigurableApplicationContext context) {
    ConfigurableEnvironment env = context.getEnvironment();
    boolean external = env.containsProperty("spring.datasource.url");
    boolean embedded = env.getProperty("demo.embedded", Boolean.class, true);
    PostgresCluster cluster = null;
    if (!external && !embedded) {
      throw new IllegalStateException(
          "demo.embedded=false needs spring.datasource.url (the primary) and, for read routing,"
              + " reliability.routing.replicas[0].url");
    }
    if (!external) {
      log.info("Starting embedded PostgreSQL: a primary and one streaming replica");
      cluster = PostgresCluster.start(ClusterConfig.custom().replicas(1).build());
      env.getPropertySources()
          .addFirst(
              new MapPropertySource(
                  "demoEmbeddedPostgres",
                  Map.of(
                      "spring.datasource.url",
                      cluster.primary().jdbcUrl(),
                      "spring.datasource.username",
                      "postgres",
                      "reliability.routing.replicas[0].name",
                      "replica-0",
                      "reliability.routing.replicas[0].url",
                      cluster.replica(0).jdbcUrl())));
    }
    Cluster holder = new Cluster(cluster);
    context.getBeanFactory().registerSingleton("demoEmbeddedPostgres", holder);
    // Registered before any pool, so destroyed after every pool is closed.
    ((DefaultSingletonBeanRegistry) context.getBeanFactory())
        .registerDisposableBean("demoEmbeddedPostgres", holder);
  }

  /** Waits until the replica has the schema applied at start, so the first routed read finds it. */
  static void awaitReplicas(Cluster holder) {
    holder.get().ifPresent(c -> c.awaitReplicasCaughtUp(Duration.ofSeconds(30)));
  }
}
