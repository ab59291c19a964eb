package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Runs annotated classes in a separate JUnit run to see what the extension does at its edges. */
class ExtensionLifecycleTest {

  static final AtomicReference<PostgresCluster> SEEN = new AtomicReference<>();

  @ReplicatedPostgres(replicas = 0)
  static class UsesAPrimaryOnly {
    @Test
    void primaryAnswers(PostgresCluster cluster) throws SQLException {
      SEEN.set(cluster);
      cluster.primary().dataSource().getConnection().close();
    }
  }

  @ReplicatedPostgres(replicas = -1)
  static class AsksForNegativeReplicas {
    @Test
    void neverRuns(PostgresCluster cluster) {
      throw new AssertionError("must not run");
    }
  }

  @Test
  void clusterIsClosedWhenTheRunEnds() {
    TestExecutionSummary summary = run(UsesAPrimaryOnly.class);

    assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
    assertThat(summary.getTotalFailureCount()).isZero();
    PostgresCluster cluster = SEEN.get();
    assertThat(cluster.primary().isRunning()).isFalse();
    assertThatThrownBy(() -> cluster.primary().dataSource().getConnection())
        .isInstanceOf(SQLException.class);
  }

  @Test
  void impossibleRequestFailsTheClassWithWhatToChange() {
    TestExecutionSummary summary = run(AsksForNegativeReplicas.class);

    assertThat(summary.getTestsSucceededCount()).isZero();
    assertThat(summary.getTotalFailureCount()).isEqualTo(1);
    Throwable failure = summary.getFailures().get(0).getException();
    assertThat(failure)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "@ReplicatedPostgres on "
                + AsksForNegativeReplicas.class.getName()
                + ": replicas must be >= 0 (0 starts a primary only), but was -1");
  }

  private static TestExecutionSummary run(Class<?> testClass) {
    Launcher launcher = LauncherFactory.create();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(
        LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build(),
        listener);
    return listener.getSummary();
  }
}
