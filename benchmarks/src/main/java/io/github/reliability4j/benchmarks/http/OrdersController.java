package io.github.reliability4j.benchmarks.http;

import io.github.reliability4j.spring.idempotency.Idempotent;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Two endpoints with the same business work: read a JSON order, insert one row with a {@link
 * JdbcTemplate} in a transaction, answer {@code 201} with the created order as JSON. {@code POST
 * /idempotent} differs from {@code POST /bare} only by {@link Idempotent @Idempotent}.
 */
@RestController
public class OrdersController {

  static final String TABLE = "bench_http_orders";

  /** The request body. */
  public record NewOrder(String customer, long amount) {}

  /** The response body. */
  public record Order(long id, String customer, long amount) {}

  private final JdbcTemplate jdbc;

  public OrdersController(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  @PostMapping(path = "/bare", consumes = "application/json")
  @Transactional
  public ResponseEntity<Order> bare(@RequestBody NewOrder order) {
    return create(order);
  }

  @PostMapping(path = "/idempotent", consumes = "application/json")
  @Idempotent
  @Transactional
  public ResponseEntity<Order> idempotent(@RequestBody NewOrder order) {
    return create(order);
  }

  private ResponseEntity<Order> create(NewOrder order) {
    Long id =
        jdbc.queryForObject(
            "insert into " + TABLE + " (customer, amount) values (?, ?) returning id",
            Long.class,
            order.customer(),
            order.amount());
    return ResponseEntity.status(HttpStatus.CREATED)
        .body(new Order(id, order.customer(), order.amount()));
  }
}
