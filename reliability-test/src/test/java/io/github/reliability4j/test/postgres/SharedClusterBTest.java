package io.github.reliability4j.test.postgres;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** See {@link SharedClusterATest}; this one gets the cluster in a static {@code @BeforeAll}. */
@ReplicatedPostgres(replicas = 2)
class SharedClusterBTest {

  private static PostgresCluster cluster;

  @BeforeAll
  static void injectCluster(PostgresCluster injected) {
    cluster = injected;
  }

  @Test
  void startsFromResetStateThenLeaksState() throws Exception {
    SharedClusterProbe.assertSharedAndReset(cluster);
    SharedClusterProbe.leakState(cluster);
  }
}
