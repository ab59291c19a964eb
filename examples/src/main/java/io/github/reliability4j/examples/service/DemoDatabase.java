package io.github.reliability4j.examples.service;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.test.postgres.ClusterConfig;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's databases: either an embedded PostgreSQL primary with one streaming replica
 * (started here, stopped on {@link #close()}), or the servers named by {@code demo.primary.url} /
 * {@code demo.replica.url}. Owns one HikariCP pool per server and applies the demo schema on the
 * primary.
 */
public final class DemoDatabase implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DemoDatabase.class);

  private final PostgresCluster cluster;
  private final HikariDataSource primaryPool;
  private final HikariDataSource replicaPool;

  private DemoDatabase(
      PostgresCluster cluster, HikariDataSource primaryPool, HikariDataSource replicaPool) {
    this.cluster = cluster;
    this.primaryPool = primaryPool;
    this.replicaPool = replicaPool;
  }

  /** Starts or connects to the databases described by {@code properties} and applies the schema. */
  static DemoDatabase open(DemoProperties properties, MeterRegistry registry) {
    PostgresCluster cluster = null;
    DemoProperties.Node primary = properties.getPrimary();
    DemoProperties.Node replica = properties.getReplica();
    boolean external = !primary.getUrl().isBlank() || !properties.isEmbedded();
    if (!external) {
      log.info("Starting embedded PostgreSQL: a primary and one streaming replica");
      cluster = PostgresCluster.start(ClusterConfig.custom().replicas(1).build());
      primary = node(cluster.primary().jdbcUrl());
      replica = node(cluster.replica(0).jdbcUrl());
    } else if (primary.getUrl().isBlank()) {
      throw new IllegalStateException(
          "demo.embedded=false needs demo.primary.url (and optionally demo.replica.url)");
    }
    HikariDataSource primaryPool = null;
    HikariDataSource replicaPool = null;
    try {
      primaryPool = pool("primary", primary, properties, registry);
      if (!replica.getUrl().isBlank()) {
        replicaPool = pool("replica-0", replica, properties, registry);
      }
      applySchema(primaryPool);
      if (cluster != null) {
        // The replica must know the tables before the first routed read.
        cluster.awaitReplicasCaughtUp(Duration.ofSeconds(30));
      }
      return new DemoDatabase(cluster, primaryPool, replicaPool);
    } catch (RuntimeException e) {
      closeQuietly(replicaPool);
      closeQuietly(primaryPool);
      if (cluster != null) {
        cluster.close();
      }
      throw e;
    }
  }

  private static DemoProperties.Node node(String url) {
    DemoProperties.Node node = new DemoProperties.Node();
    node.setUrl(url);
    return node;
  }

  private static HikariDataSource pool(
      String name, DemoProperties.Node node, DemoProperties properties, MeterRegistry registry) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(node.getUrl());
    config.setUsername(node.getUsername());
    if (!node.getPassword().isEmpty()) {
      config.setPassword(node.getPassword());
    }
    config.setMaximumPoolSize(properties.getPoolSize());
    config.setConnectionTimeout(properties.getConnectionTimeout().toMillis());
    // A replica that is down at start must not stop the service from starting.
    config.setInitializationFailTimeout(-1);
    if (registry != null) {
      config.setMetricRegistry(registry);
    }
    return new HikariDataSource(config);
  }

  private static void applySchema(HikariDataSource primaryPool) {
    String sql;
    try (InputStream in = DemoDatabase.class.getResourceAsStream("/demo-schema.sql")) {
      sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read demo-schema.sql", e);
    }
    try (Connection c = primaryPool.getConnection();
        Statement s = c.createStatement()) {
      for (String statement : sql.split(";")) {
        if (!statement.isBlank()) {
          s.execute(statement);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot apply the demo schema: " + e.getMessage(), e);
    }
  }

  /** The embedded cluster, or empty when the service runs against external servers. */
  public Optional<PostgresCluster> cluster() {
    return Optional.ofNullable(cluster);
  }

  /** The pool of the primary. */
  public HikariDataSource primaryPool() {
    return primaryPool;
  }

  /** The pool of the replica, or empty when none is configured. */
  public Optional<HikariDataSource> replicaPool() {
    return Optional.ofNullable(replicaPool);
  }

  @Override
  public void close() {
    closeQuietly(replicaPool);
    closeQuietly(primaryPool);
    if (cluster != null) {
      cluster.close();
    }
  }

  private static void closeQuietly(HikariDataSource pool) {
    if (pool != null) {
      pool.close();
    }
  }
}
