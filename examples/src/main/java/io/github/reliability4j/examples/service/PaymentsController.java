package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.spring.idempotency.Idempotent;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Payments. {@code POST /payments} is protected by {@link Idempotent @Idempotent}: every retry with
 * the same {@code Idempotency-Key} gets the first response and charges once. Because the handler is
 * also {@link Transactional @Transactional} and the JDBC idempotency store lives in the same
 * database, the key is completed inside the payment's own transaction (transactional mode): the
 * payment row and its idempotency record commit or roll back together, so a crash between the two
 * cannot lead to a second charge. {@code POST /payments/unprotected} is the same charge without
 * idempotency, to show what a retry does otherwise. {@link TransactionalPaymentsController} shows
 * the same transactional mode written against the engine directly.
 */
@RestController
class PaymentsController {

  private final Payments payments;
  private final JdbcTemplate jdbc;
  private final TransactionTemplate transactions;

  PaymentsController(Payments payments, JdbcTemplate jdbc, TransactionTemplate transactions) {
    this.payments = payments;
    this.jdbc = jdbc;
    this.transactions = transactions;
  }

  /**
   * Charges once per {@code Idempotency-Key}; concurrent retries wait for the first outcome. The
   * idempotency record is completed in this method's transaction, just before it commits.
   */
  @PostMapping("/payments")
  @Idempotent(concurrency = ConcurrencyMode.WAIT)
  @Transactional
  ResponseEntity<Payments.Payment> create(@RequestBody Payments.PaymentRequest request) {
    return charge(request);
  }

  /** The same charge without idempotency: every retry charges again. */
  @PostMapping("/payments/unprotected")
  ResponseEntity<Payments.Payment> createUnprotected(@RequestBody Payments.PaymentRequest request) {
    return charge(request);
  }

  /** How often an account was charged: {@code {"account":..,"count":..,"totalCents":..}}. */
  @GetMapping("/payments")
  AccountSummary summary(@RequestParam("account") String account) {
    Payments.requireValid(
        "account", account, Payments.ACCOUNT, "1 to 64 letters, digits, '_' or '-'");
    // A count must be exact, so it reads the primary (read-write transaction); see
    // ProfilesController for replica reads.
    return transactions.execute(
        tx ->
            jdbc.queryForObject(
                "SELECT count(*), coalesce(sum(amount_cents), 0) FROM demo_payments"
                    + " WHERE account = ?",
                (rs, row) -> new AccountSummary(account, rs.getLong(1), rs.getLong(2)),
                account));
  }

  /** Charges of one account. */
  record AccountSummary(String account, long count, long totalCents) {}

  private ResponseEntity<Payments.Payment> charge(Payments.PaymentRequest request) {
    String currency = payments.validate(request);
    payments.callCardNetwork();
    Payments.Payment payment = transactions.execute(tx -> payments.insert(request, currency));
    return ResponseEntity.created(URI.create("/payments/" + payment.id())).body(payment);
  }
}
