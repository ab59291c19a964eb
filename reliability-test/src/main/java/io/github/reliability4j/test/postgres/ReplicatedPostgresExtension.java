package io.github.reliability4j.test.postgres;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit Jupiter extension behind {@link ReplicatedPostgres}; registered by the annotation, so
 * tests normally do not reference this class. Works with JUnit Jupiter 5.x and 6.x. Clusters live
 * in the root {@link ExtensionContext.Store}, keyed by their {@link ClusterConfig}, and are closed
 * when the root context closes (end of the run).
 */
public final class ReplicatedPostgresExtension implements BeforeAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ReplicatedPostgresExtension.class);

  /** Public for JUnit; use {@link ReplicatedPostgres}. */
  public ReplicatedPostgresExtension() {}

  @Override
  public void beforeAll(ExtensionContext context) {
    PostgresCluster cluster = cluster(context);
    if (!context.getRequiredTestClass().isAnnotationPresent(Nested.class)) {
      cluster.resetReplicas();
    }
  }

  @Override
  public boolean supportsParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == PostgresCluster.class;
  }

  @Override
  public Object resolveParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    return cluster(extensionContext);
  }

  // getOrComputeIfAbsent and CloseableResource are deprecated in JUnit 6 but are what JUnit 5.x
  // offers; using them keeps the kit usable with both.
  @SuppressWarnings("deprecation")
  private static PostgresCluster cluster(ExtensionContext context) {
    ClusterConfig config = configFor(context.getRequiredTestClass());
    SharedCluster shared =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(
                config,
                c -> new SharedCluster(EmbeddedPostgresCluster.start(c)),
                SharedCluster.class);
    return shared.view;
  }

  static ClusterConfig configFor(Class<?> testClass) {
    for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
      ReplicatedPostgres annotation = c.getAnnotation(ReplicatedPostgres.class);
      if (annotation != null) {
        return toConfig(annotation, c);
      }
    }
    throw new ExtensionConfigurationException(
        testClass.getName()
            + " uses ReplicatedPostgresExtension without @ReplicatedPostgres; annotate the class"
            + " with @ReplicatedPostgres(replicas = N) instead of @ExtendWith");
  }

  static ClusterConfig toConfig(ReplicatedPostgres annotation, Class<?> annotated) {
    try {
      if (annotation.startupTimeoutSeconds() <= 0) {
        throw new IllegalArgumentException(
            "startupTimeoutSeconds must be positive, but was "
                + annotation.startupTimeoutSeconds());
      }
      ClusterConfig.Builder builder =
          ClusterConfig.custom()
              .replicas(annotation.replicas())
              .startupTimeout(Duration.ofSeconds(annotation.startupTimeoutSeconds()));
      for (String setting : annotation.settings()) {
        builder.serverSetting(setting);
      }
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "@ReplicatedPostgres on " + annotated.getName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The store value: closes the real cluster when the root context closes. JUnit 5 closes {@code
   * CloseableResource} values, JUnit 6 {@code AutoCloseable} ones; close is idempotent.
   */
  @SuppressWarnings("deprecation")
  private static final class SharedCluster
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final PostgresCluster cluster;
    private final PostgresCluster view;

    SharedCluster(PostgresCluster cluster) {
      this.cluster = cluster;
      if (cluster instanceof EmbeddedPostgresCluster embedded) {
        embedded.markShared();
      }
      this.view = new NonClosingCluster(cluster);
    }

    @Override
    public void close() {
      cluster.close();
    }
  }

  /** What tests get: everything but close(), which belongs to the extension. */
  private static final class NonClosingCluster implements PostgresCluster {
    private final PostgresCluster delegate;

    NonClosingCluster(PostgresCluster delegate) {
      this.delegate = delegate;
    }

    @Override
    public ClusterConfig config() {
      return delegate.config();
    }

    @Override
    public PostgresNode primary() {
      return delegate.primary();
    }

    @Override
    public List<ReplicaNode> replicas() {
      return delegate.replicas();
    }

    @Override
    public ReplicaNode replica(int index) {
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
    public void stopPrimary() {
      delegate.stopPrimary();
    }

    @Override
    public void close() {
      // Owned by the extension, shared with other classes; closed at the end of the run.
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
