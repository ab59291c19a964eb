package io.github.reliability4j.test.services;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;

/** Against the real machine: skips when a service is down, fails instead in CI. */
class MachineServicesTest {

  @Test
  void postgresUrlConnects() throws Exception {
    String url = Services.postgresJdbcUrl();

    assertThat(url).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    try (Connection c = DriverManager.getConnection(url)) {
      assertThat(c.getMetaData().getDatabaseMajorVersion()).isGreaterThanOrEqualTo(15);
    }
  }

  @Test
  void mariaDbUrlIsTheDocumentedOne() {
    assertThat(Services.mariaDbJdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3306/test?user=root");
  }

  @Test
  void redisAnswers() {
    Services.requireRedis();
  }
}
