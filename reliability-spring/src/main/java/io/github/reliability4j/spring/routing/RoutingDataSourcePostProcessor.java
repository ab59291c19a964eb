package io.github.reliability4j.spring.routing;

import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.RoutingListener;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.jdbc.routing.RoutingConfig;
import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.jdbc.DataSourceBuilder;

/**
 * Wraps the DataSource bean named {@code reliability.routing.data-source-bean} in a {@link
 * RoutedDataSource} when replicas are configured. Routing decides at a logical connection's first
 * statement, after Spring's {@code DataSourceTransactionManager} called {@code setReadOnly(true)}
 * for {@code @Transactional(readOnly = true)}, so read-only transactions reach replicas although
 * the connection was fetched before the flag was set.
 */
final class RoutingDataSourcePostProcessor implements BeanPostProcessor, BeanFactoryAware {

  private static final Logger log = LoggerFactory.getLogger(RoutingDataSourcePostProcessor.class);

  private BeanFactory beanFactory;

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
    if (!(bean instanceof DataSource primary) || bean instanceof RoutedDataSource) {
      return bean;
    }
    RoutingProperties p = beanFactory.getBean(RoutingProperties.class);
    if (!p.isEnabled() || !p.hasReplicas() || !beanName.equals(p.getDataSourceBean())) {
      return bean;
    }
    namePool(primary, "reliability-primary");
    List<DataSource> owned = new ArrayList<>();
    try {
      return wrap(primary, beanName, p, owned);
    } catch (RuntimeException | Error e) {
      // The bean's creation fails, so Spring will never destroy it: close what is open now. The
      // replica pools are ours; the primary pool was started by the validation of the nodes and,
      // its bean having failed, has no owner left to close it.
      closeQuietly(owned, e);
      closeQuietly(List.of(primary), e);
      throw e;
    }
  }

  private static final boolean HIKARI_PRESENT =
      org.springframework.util.ClassUtils.isPresent(
          "com.zaxxer.hikari.HikariDataSource",
          RoutingDataSourcePostProcessor.class.getClassLoader());

  /**
   * Names a HikariCP pool after its node ({@code reliability-primary}, {@code
   * reliability-replica-0}) unless the application named it ({@code
   * spring.datasource.hikari.pool-name}) or it already runs, so its log lines and {@code
   * hikaricp.*} meters say which node they are about.
   */
  static void namePool(DataSource ds, String name) {
    if (HIKARI_PRESENT) {
      Hikari.name(ds, name);
    }
  }

  /**
   * Lets a replica pool reliability4j created start without a connection ({@code
   * initializationFailTimeout=-1}). A pool whose replica is down before it ever started would
   * otherwise retry its start, and log {@code Starting...} at INFO, on every attempt to use it
   * (once per replica sample and per routed read). Started lazily, the pool logs its start once and
   * then only at DEBUG while the replica stays down; the router bounds each wait for one of its
   * connections by {@code replicaConnectTimeout} (the pool's own, longer {@code connectionTimeout}
   * never applies to routing), and {@code ReplicaOutageLog} reports the outage once and then at
   * most once a minute.
   */
  static void startLazily(DataSource ds) {
    if (HIKARI_PRESENT) {
      Hikari.startLazily(ds);
    }
  }

  private static final class Hikari {
    static void startLazily(DataSource ds) {
      if (ds instanceof com.zaxxer.hikari.HikariDataSource h && !h.isRunning()) {
        try {
          h.setInitializationFailTimeout(-1);
        } catch (IllegalStateException sealed) {
          // started concurrently: it started with a connection
        }
      }
    }

    static void name(DataSource ds, String name) {
      if (ds instanceof com.zaxxer.hikari.HikariDataSource h
          && h.getPoolName() == null
          && !h.isRunning()) {
        try {
          h.setPoolName(name);
        } catch (IllegalStateException sealed) {
          // started concurrently: keep Hikari's name
        }
      }
    }
  }

  private static void closeQuietly(List<DataSource> pools, Throwable failure) {
    for (DataSource ds : pools) {
      if (ds instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          failure.addSuppressed(e);
        }
      }
    }
  }

  private RoutedDataSource wrap(
      DataSource primary, String beanName, RoutingProperties p, List<DataSource> owned) {
    RoutingConfig.Builder builder = RoutingConfig.custom().primary("primary", primary);
    java.util.Map<String, DataSource> replicas = new java.util.LinkedHashMap<>();
    for (int i = 0; i < p.getReplicas().size(); i++) {
      RoutingProperties.Replica r = p.getReplicas().get(i);
      DataSourceBuilder<?> b = DataSourceBuilder.derivedFrom(primary).url(r.getUrl());
      if (r.getUsername() != null) {
        b.username(r.getUsername());
      }
      if (r.getPassword() != null) {
        b.password(r.getPassword());
      }
      DataSource replica = b.build();
      owned.add(replica);
      String name = r.getName() == null ? "replica-" + i : r.getName();
      namePool(replica, "reliability-" + name);
      startLazily(replica);
      replicas.put(name, replica);
      builder.replica(name, replica);
    }
    for (String name : p.getReplicaBeans()) {
      try {
        DataSource replica = beanFactory.getBean(name, DataSource.class);
        replicas.put(name, replica);
        builder.replica(name, replica);
      } catch (NoSuchBeanDefinitionException e) {
        throw new InvalidReliabilityPropertyException(
            "reliability.routing.replica-beans",
            p.getReplicaBeans(),
            "must name existing DataSource beans ('" + name + "' does not exist)",
            e);
      }
    }
    RoutingPolicy.Builder policy =
        RoutingPolicy.custom()
            .defaultConsistency(
                switch (p.getDefaultConsistency()) {
                  case STRONG -> ConsistencyLevel.STRONG;
                  case READ_YOUR_WRITES -> ConsistencyLevel.READ_YOUR_WRITES;
                  case ANY -> ConsistencyLevel.ANY;
                })
            .defaultReadPreference(p.getDefaultReadPreference())
            .maxCausalWait(p.getMaxCausalWait())
            .maxReplicaLag(p.getMaxReplicaLag())
            .sampleInterval(p.getSampleInterval());
    builder.policy(policy.build()).tokenKey(tokenKey(p));
    beanFactory.getBeanProvider(RoutingListener.class).orderedStream().forEach(builder::listener);
    beanFactory
        .getBeanProvider(RoutingConfigCustomizer.class)
        .orderedStream()
        .forEach(c -> c.customize(builder));
    ReplicaRoutingDataSource routing = new ReplicaRoutingDataSource(builder.build());
    log.info("DataSource bean '{}' now routes reads to replicas: {}", beanName, routing);
    return new RoutedDataSource(routing, primary, replicas, owned);
  }

  private static byte[] tokenKey(RoutingProperties p) {
    if (p.getTokenSecret() != null) {
      return p.getTokenSecret().getBytes(StandardCharsets.UTF_8);
    }
    log.warn(
        "reliability.routing.token-secret is not set: consistency tokens are signed with a random"
            + " per-process key and are honoured by THIS instance only. Set the same secret on"
            + " every instance for read-your-writes across instances.");
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return key;
  }
}
