package io.github.reliability4j.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicatedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Transactional mode through real HTTP on embedded PostgreSQL: the business row and the stored
 * response of a {@code @Transactional @Idempotent} endpoint commit or roll back together.
 */
@ReplicatedPostgres(replicas = 0)
@SpringBootTest(
    classes = TransactionalTestApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.jdbc.initialize-schema=true",
      "reliability.health.enabled=false",
      "spring.datasource.username=postgres",
      "spring.datasource.hikari.maximum-pool-size=8"
    })
class TransactionalIdempotencyTest {

  static PostgresCluster cluster;

  @BeforeAll
  static void schema(PostgresCluster c) throws Exception {
    cluster = c;
    try (Connection con = c.primary().dataSource().getConnection();
        Statement st = con.createStatement()) {
      st.execute(
          "create table if not exists tx_transfers(id bigserial primary key, k text not null,"
              + " amount int not null)");
    }
  }

  @DynamicPropertySource
  static void datasource(DynamicPropertyRegistry registry) {
    registry.add("spring.datasource.url", () -> cluster.primary().jdbcUrl());
  }

  @LocalServerPort int port;
  @Autowired JdbcTemplate jdbc;

  final HttpClient http = HttpClient.newHttpClient();

  HttpResponse<String> post(String key, int amount) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/transfers"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":" + amount + "}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aTransactionalHandlerReturningAFutureStoresTheDispatchedResponse() throws Exception {
    String key = UUID.randomUUID().toString();
    int before = TransactionalTestApp.TransfersController.executions.get();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/transfers/async"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":40}"))
            .build();
    HttpResponse<String> first = http.send(request, HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> retry = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.body()).contains("\"amount\":40");
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(rows(key)).isEqualTo(1);
    assertThat(TransactionalTestApp.TransfersController.executions.get() - before).isEqualTo(1);
  }

  int rows(String key) {
    return jdbc.queryForObject("select count(*) from tx_transfers where k = ?", Integer.class, key);
  }

  String state(String key) {
    return jdbc
        .queryForList(
            "select state from reliability_idempotency where client_key = ?", String.class, key)
        .stream()
        .findFirst()
        .orElse(null);
  }

  @Test
  void completionIsWrittenInTheBusinessTransactionAndReplays() throws Exception {
    String key = UUID.randomUUID().toString();
    int before = TransactionalTestApp.TransfersController.executions.get();
    HttpResponse<String> first = post(key, 10);
    assertThat(first.statusCode()).isEqualTo(201);
    // Before the commit: completed on the transaction's connection, still in progress for others.
    assertThat(TransactionalTestApp.TransfersController.statesBeforeCommit)
        .containsExactly("C", "P");
    assertThat(state(key)).isEqualTo("C");
    assertThat(rows(key)).isEqualTo(1);

    HttpResponse<String> retry = post(key, 10);
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(retry.headers().firstValue("Location"))
        .isEqualTo(first.headers().firstValue("Location"));
    assertThat(retry.headers().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
    assertThat(TransactionalTestApp.TransfersController.executions.get() - before).isEqualTo(1);
    assertThat(rows(key)).isEqualTo(1);
  }

  @Test
  void failureAfterTheInsertRollsBothBackAndTheRetryExecutesOnceThenReplays() throws Exception {
    String key = UUID.randomUUID().toString();
    int before = TransactionalTestApp.TransfersController.executions.get();
    TransactionalTestApp.TransfersController.failAfterInsert.set(true);
    HttpResponse<String> failed = post(key, 20);
    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(rows(key)).isZero();
    assertThat(state(key)).isNull(); // released: claimable again

    HttpResponse<String> retry = post(key, 20);
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
    HttpResponse<String> again = post(key, 20);
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(again.body()).isEqualTo(retry.body());
    assertThat(rows(key)).isEqualTo(1);
    assertThat(TransactionalTestApp.TransfersController.executions.get() - before).isEqualTo(2);
  }

  @Test
  void connectionKilledBeforeCommitLeavesNeitherRowNorCompletion() throws Exception {
    String key = UUID.randomUUID().toString();
    int before = TransactionalTestApp.TransfersController.executions.get();
    TransactionalTestApp.TransfersController.killBeforeCommit.set(true);
    HttpResponse<String> failed = post(key, 30);
    assertThat(failed.statusCode()).isGreaterThanOrEqualTo(500);
    assertThat(rows(key)).isZero();
    assertThat(state(key)).isNotEqualTo("C");

    HttpResponse<String> retry = post(key, 30);
    assertThat(retry.statusCode()).isEqualTo(201);
    HttpResponse<String> again = post(key, 30);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(again.body()).isEqualTo(retry.body());
    assertThat(rows(key)).isEqualTo(1);
    assertThat(TransactionalTestApp.TransfersController.executions.get() - before).isEqualTo(2);
  }
}
