package io.github.reliability4j.spring.it;

import io.github.reliability4j.spring.idempotency.Idempotent;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** A @Transactional @Idempotent endpoint on a plain (unrouted) PostgreSQL DataSource. */
@SpringBootConfiguration
@EnableAutoConfiguration
class TransactionalTestApp {

  @Bean
  SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
    http.csrf(c -> c.disable()).authorizeHttpRequests(a -> a.anyRequest().permitAll());
    return http.build();
  }

  @RestController
  static class TransfersController {
    final JdbcTemplate jdbc;
    final DataSource dataSource;
    // Static: the controller bean is a proxy (transactional + idempotent advice).
    static final AtomicInteger executions = new AtomicInteger();
    static final AtomicBoolean failAfterInsert = new AtomicBoolean();
    static final AtomicBoolean killBeforeCommit = new AtomicBoolean();

    /** Observed in beforeCommit after the completion: [same connection, another connection]. */
    static volatile String[] statesBeforeCommit;

    TransfersController(JdbcTemplate jdbc, DataSource dataSource) {
      this.jdbc = jdbc;
      this.dataSource = dataSource;
    }

    @Idempotent(operation = "transfer")
    @Transactional
    @PostMapping("/transfers")
    ResponseEntity<Map<String, Object>> create(
        @RequestBody Map<String, Object> body, @RequestHeader("Idempotency-Key") String key)
        throws Exception {
      executions.incrementAndGet();
      long id =
          jdbc.queryForObject(
              "insert into tx_transfers(k, amount) values (?, ?) returning id",
              Long.class,
              key,
              ((Number) body.get("amount")).intValue());
      if (failAfterInsert.getAndSet(false)) {
        throw new IllegalStateException("failure after the insert (test)");
      }
      if (killBeforeCommit.getAndSet(false)) {
        int pid = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
        try (Connection other = dataSource.getConnection();
            Statement st = other.createStatement()) {
          st.execute("select pg_terminate_backend(" + pid + ")");
        }
      }
      TransactionSynchronizationManager.registerSynchronization(
          new TransactionSynchronization() {
            @Override
            public int getOrder() {
              // After the idempotency completion (which runs at LOWEST_PRECEDENCE - 1).
              return Ordered.LOWEST_PRECEDENCE;
            }

            @Override
            public void beforeCommit(boolean readOnly) {
              Connection same = DataSourceUtils.getConnection(dataSource);
              try {
                statesBeforeCommit = new String[] {state(same, key), outsideState(key)};
              } catch (Exception e) {
                throw new IllegalStateException(e);
              } finally {
                DataSourceUtils.releaseConnection(same, dataSource);
              }
            }
          });
      return ResponseEntity.status(201)
          .header("Location", "/transfers/" + id)
          .body(Map.of("id", id, "amount", body.get("amount")));
    }

    /** Async return value of a transactional handler: stored from the ASYNC dispatch. */
    @Idempotent(operation = "transfer-async")
    @Transactional
    @PostMapping("/transfers/async")
    java.util.concurrent.CompletableFuture<ResponseEntity<Map<String, Object>>> createAsync(
        @RequestBody Map<String, Object> body, @RequestHeader("Idempotency-Key") String key) {
      executions.incrementAndGet();
      long id =
          jdbc.queryForObject(
              "insert into tx_transfers(k, amount) values (?, ?) returning id",
              Long.class,
              key,
              ((Number) body.get("amount")).intValue());
      return java.util.concurrent.CompletableFuture.completedFuture(
          ResponseEntity.status(201).body(Map.of("id", id, "amount", body.get("amount"))));
    }

    private String outsideState(String key) throws Exception {
      // A separate physical connection (not the pool's transaction-bound one).
      try (Connection c =
          TransactionalIdempotencyTest.cluster.primary().dataSource().getConnection()) {
        return state(c, key);
      }
    }

    static String state(Connection c, String key) throws Exception {
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "select state from reliability_idempotency where client_key = '"
                      + key.replace("'", "''")
                      + "'")) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
