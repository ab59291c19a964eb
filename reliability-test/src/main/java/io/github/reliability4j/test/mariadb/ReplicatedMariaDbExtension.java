package io.github.reliability4j.test.mariadb;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit Jupiter extension behind {@link ReplicatedMariaDb}; registered by the annotation.
 * Clusters live in the root {@link ExtensionContext.Store}, keyed by their {@link
 * MariaDbClusterConfig}, and are closed when the root context closes.
 */
public final class ReplicatedMariaDbExtension implements BeforeAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ReplicatedMariaDbExtension.class);

  /** Public for JUnit; use {@link ReplicatedMariaDb}. */
  public ReplicatedMariaDbExtension() {}

  @Override
  public void beforeAll(ExtensionContext context) {
    MariaDbCluster cluster = cluster(context);
    if (!context.getRequiredTestClass().isAnnotationPresent(Nested.class)) {
      cluster.resetReplicas();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == MariaDbCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return cluster(context);
  }

  @SuppressWarnings("deprecation")
  private static MariaDbCluster cluster(ExtensionContext context) {
    MariaDbClusterConfig config = configFor(context.getRequiredTestClass());
    MariaDbBinaries.assumeAvailable();
    SharedCluster shared =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(
                config, c -> new SharedCluster(MariaDbCluster.start(c)), SharedCluster.class);
    return shared.view;
  }

  static MariaDbClusterConfig configFor(Class<?> testClass) {
    for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
      ReplicatedMariaDb annotation = c.getAnnotation(ReplicatedMariaDb.class);
      if (annotation != null) {
        return toConfig(annotation, c);
      }
    }
    throw new ExtensionConfigurationException(
        testClass.getName()
            + " uses ReplicatedMariaDbExtension without @ReplicatedMariaDb; annotate the class"
            + " with @ReplicatedMariaDb(replicas = N) instead of @ExtendWith");
  }

  static MariaDbClusterConfig toConfig(ReplicatedMariaDb annotation, Class<?> annotated) {
    try {
      if (annotation.startupTimeoutSeconds() <= 0) {
        throw new IllegalArgumentException(
            "startupTimeoutSeconds must be positive, but was "
                + annotation.startupTimeoutSeconds());
      }
      MariaDbClusterConfig.Builder b =
          MariaDbClusterConfig.custom()
              .replicas(annotation.replicas())
              .startupTimeout(Duration.ofSeconds(annotation.startupTimeoutSeconds()));
      for (String option : annotation.options()) {
        b.serverOption(option);
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "@ReplicatedMariaDb on " + annotated.getName() + ": " + e.getMessage(), e);
    }
  }

  /** The store value: closes the real cluster when the root context closes (JUnit 5 and 6). */
  @SuppressWarnings("deprecation")
  private static final class SharedCluster
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final MariaDbCluster cluster;
    private final MariaDbCluster view;

    SharedCluster(MariaDbCluster cluster) {
      this.cluster = cluster;
      this.view = new NonClosingCluster(cluster);
    }

    @Override
    public void close() {
      cluster.close();
    }
  }

  /** What tests get: everything but close(), which belongs to the extension. */
  private record NonClosingCluster(MariaDbCluster delegate) implements MariaDbCluster {
    @Override
    public MariaDbClusterConfig config() {
      return delegate.config();
    }

    @Override
    public MariaDbNode primary() {
      return delegate.primary();
    }

    @Override
    public List<MariaDbReplica> replicas() {
      return delegate.replicas();
    }

    @Override
    public MariaDbReplica replica(int index) {
      return delegate.replica(index);
    }

    @Override
    public void awaitReplicasCaughtUp(Duration deadline) {
      delegate.awaitReplicasCaughtUp(deadline);
    }

    @Override
    public void resetReplicas() {
      delegate.resetReplicas();
    }

    @Override
    public void close() {
      // Owned by the extension; closed at the end of the run.
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
