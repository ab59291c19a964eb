package io.github.reliability4j.examples.service;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The payment logic shared by the payment endpoints: validation, the card network, the row. */
@Component
class Payments {

  static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

  private final JdbcTemplate jdbc;
  private final Duration processingTime;

  Payments(JdbcTemplate jdbc, DemoProperties properties) {
    this.jdbc = jdbc;
    this.processingTime = properties.getPaymentProcessingTime();
  }

  /** A charge request. */
  record PaymentRequest(String account, Long amountCents, String currency) {}

  /** A recorded charge. */
  record Payment(long id, String account, long amountCents, String currency) {}

  /**
   * Checks every field.
   *
   * @return the normalized (upper-case) currency
   * @throws InvalidInputException naming the first bad field
   */
  String validate(PaymentRequest request) {
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
    return currency;
  }

  /** Simulated call to the card network, outside any transaction. */
  void callCardNetwork() {
    try {
      Thread.sleep(processingTime.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while charging", e);
    }
  }

  /** Inserts the payment; call inside a read-write transaction. */
  Payment insert(PaymentRequest request, String currency) {
    Long id =
        jdbc.queryForObject(
            "INSERT INTO demo_payments (account, amount_cents, currency) VALUES (?, ?, ?)"
                + " RETURNING id",
            Long.class,
            request.account(),
            request.amountCents(),
            currency);
    return new Payment(id, request.account(), request.amountCents(), currency);
  }

  static void requireValid(String field, String value, Pattern pattern, String expected) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw new InvalidInputException(
          field, "must be " + expected + ", but was " + (value == null ? "missing" : value));
    }
  }
}
