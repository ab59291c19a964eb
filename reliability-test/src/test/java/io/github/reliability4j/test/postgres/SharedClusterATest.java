package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * With {@link SharedClusterBTest} and {@link ReplicationTest}: classes with the same annotation
 * share one cluster, and each class starts from a reset cluster even though the class before it
 * left replicas paused, delayed and stopped.
 */
@ReplicatedPostgres(replicas = 2)
class SharedClusterATest {

  private final PostgresCluster cluster;

  SharedClusterATest(PostgresCluster cluster) {
    this.cluster = cluster;
  }

  @Test
  void startsFromResetStateThenLeaksState() throws Exception {
    SharedClusterProbe.assertSharedAndReset(cluster);
    SharedClusterProbe.leakState(cluster);
  }

  @Nested
  class NestedClass {
    @Test
    void getsTheSameClusterWithoutAReset(PostgresCluster nested) {
      assertThat(nested.primary().port()).isEqualTo(cluster.primary().port());
      assertThat(EmbeddedPostgresCluster.startCount(ClusterConfig.ofDefaults())).isEqualTo(1);
    }
  }
}
