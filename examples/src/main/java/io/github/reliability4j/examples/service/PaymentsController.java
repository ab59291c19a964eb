package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.spring.idempotency.Idempotent;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Payments. {@code POST /payments} is protected by {@link Idempotent @Idempotent}: every retry with
 * the same {@code Idempotency-Key} gets the first response and charges once. {@code POST
 * /payments/unprotected} is the same handler without it, to show what a retry does otherwise.
 */
@RestController
class PaymentsController {

  private static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

  private final JdbcTemplate jdbc;
  private final TransactionTemplate transactions;
  private final Duration processingTime;

  PaymentsController(
      JdbcTemplate jdbc, TransactionTemplate transactions, DemoProperties properties) {
    this.jdbc = jdbc;
    this.transactions = transactions;
    this.processingTime = properties.getPaymentProcessingTime();
  }

  /** A charge request. */
  record PaymentRequest(String account, Long amountCents, String currency) {}

  /** A recorded charge. */
  record Payment(long id, String account, long amountCents, String currency) {}

  /** Charges once per {@code Idempotency-Key}; concurrent retries wait for the first outcome. */
  @PostMapping("/payments")
  @Idempotent(concurrency = ConcurrencyMode.WAIT)
  ResponseEntity<Payment> create(@RequestBody PaymentRequest request) {
    return charge(request);
  }

  /** The same charge without idempotency: every retry charges again. */
  @PostMapping("/payments/unprotected")
  ResponseEntity<Payment> createUnprotected(@RequestBody PaymentRequest request) {
    return charge(request);
  }

  /** How often an account was charged: {@code {"account":..,"count":..,"totalCents":..}}. */
  @GetMapping("/payments")
  AccountSummary summary(@RequestParam("account") String account) {
    requireValid("account", account, ACCOUNT, "1 to 64 letters, digits, '_' or '-'");
    // A count must be exact, so it reads the primary; see ProfilesController for replica reads.
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

  private ResponseEntity<Payment> charge(PaymentRequest request) {
    if (request == null) {
      throw new InvalidInputException("body", "a JSON object is required");
    }
    requireValid("account", request.account(), ACCOUNT, "1 to 64 letters, digits, '_' or '-'");
    if (request.amountCents() == null || request.amountCents() <= 0) {
      throw new InvalidInputException(
          "amountCents", "must be a positive integer, but was " + request.amountCents());
    }
    String currency =
        request.currency() == null ? null : request.currency().toUpperCase(Locale.ROOT);
    requireValid("currency", currency, CURRENCY, "an ISO 4217 code such as EUR");
    callCardNetwork();
    Payment payment =
        transactions.execute(
            tx -> {
              Long id =
                  jdbc.queryForObject(
                      "INSERT INTO demo_payments (account, amount_cents, currency)"
                          + " VALUES (?, ?, ?) RETURNING id",
                      Long.class,
                      request.account(),
                      request.amountCents(),
                      currency);
              return new Payment(id, request.account(), request.amountCents(), currency);
            });
    return ResponseEntity.created(URI.create("/payments/" + payment.id())).body(payment);
  }

  private void callCardNetwork() {
    try {
      Thread.sleep(processingTime.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while charging", e);
    }
  }

  static void requireValid(String field, String value, Pattern pattern, String expected) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw new InvalidInputException(
          field, "must be " + expected + ", but was " + (value == null ? "missing" : value));
    }
  }
}
