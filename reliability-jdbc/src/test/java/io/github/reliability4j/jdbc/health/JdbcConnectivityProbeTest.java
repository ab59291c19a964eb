package io.github.reliability4j.jdbc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

@ReplicatedPostgres(replicas = 0)
class JdbcConnectivityProbeTest {
  @Test
  void aFailedCheckDropsTheConnectionAndTheNextReconnects(PostgresCluster cluster)
      throws Exception {
    {
      int[] opened = new int[1];
      ConnectionFactory counting =
          () -> {
            opened[0]++;
            return cluster.primary().dataSource().getConnection();
          };
      ProbeContext ctx = new ProbeContext("db", Instant.now(), Duration.ofSeconds(2));
      try (JdbcConnectivityProbe probe =
          JdbcConnectivityProbe.builder(counting).validationQuery("SELECT 1").build()) {
        assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.PASS);
        assertThat(probe.check(ctx).status()).isEqualTo(HealthStatus.PASS);
        assertThat(opened[0]).as("the dedicated connection is kept").isEqualTo(1);
      }
      try (JdbcConnectivityProbe broken =
          JdbcConnectivityProbe.builder(counting)
              .validationQuery("SELECT * FROM missing")
              .build()) {
        assertThatThrownBy(() -> broken.check(ctx)).isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> broken.check(ctx)).isInstanceOf(SQLException.class);
        assertThat(opened[0]).as("reconnects after each failure").isEqualTo(3);
      }
    }
    assertThatThrownBy(() -> ConnectionFactory.ofDriver("jdbc:nope://x?password=secret", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("password=***")
        .hasMessageNotContaining("secret");
  }
}
