package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * Idempotency in <em>transactional mode</em>: the payment row and the completion of its key commit
 * in one database transaction, so a crash between "charged" and "remembered" cannot happen.
 * {@code @Idempotent} completes the key after the handler's transaction (reliability-spring has no
 * transactional mode yet), so this endpoint uses the engine directly, with the same JDBC store:
 *
 * <ol>
 *   <li>{@code idempotency.begin(key, fingerprint)} claims the key (or replays, or waits);
 *   <li>inside the transaction: insert the payment, then {@code
 *       store.completeInTransactionOrThrow(connection, ...)} on the transaction's own connection;
 *   <li>after commit: {@code markCompletedExternally()}; on any failure the transaction rolls back
 *       and closing the execution releases the key, so a retry charges again — exactly once.
 * </ol>
 *
 * Same HTTP contract as {@code POST /payments}: {@code Idempotency-Key} required (400), reuse with
 * another body 422, replay with {@code Idempotent-Replayed: true}; errors are problem+json.
 */
@RestController
class TransactionalPaymentsController {

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._~:+/=@-]{1,255}");
  private static final String OPERATION = "POST /payments/transactional";

  private final Payments payments;
  private final JdbcTemplate jdbc;
  private final JdbcIdempotencyStore store;
  private final Idempotency idempotency;
  private final TransactionTemplate transactions;
  private final JsonMapper json;

  TransactionalPaymentsController(
      Payments payments,
      JdbcTemplate jdbc,
      IdempotencyStore store,
      TransactionTemplate transactions,
      JsonMapper json) {
    this.payments = payments;
    this.jdbc = jdbc;
    if (!(store instanceof JdbcIdempotencyStore jdbcStore)) {
      throw new IllegalStateException(
          "transactional mode needs the JDBC store (reliability.idempotency.store=jdbc), but was "
              + store);
    }
    this.store = jdbcStore;
    this.idempotency =
        Idempotency.of(
            store, IdempotencyConfig.custom().concurrencyMode(ConcurrencyMode.WAIT).build());
    this.transactions = transactions;
    this.json = json;
  }

  @PostMapping("/payments/transactional")
  ResponseEntity<String> create(
      @RequestHeader(name = "Idempotency-Key", required = false) String header,
      @RequestBody Payments.PaymentRequest request) {
    String clientKey = parseKey(header);
    String currency = payments.validate(request);
    // Scope: in a service with users, the tenant and authenticated principal, so one client can
    // never replay another's response (the demo has no users).
    IdempotencyKey key = IdempotencyKey.of("demo", OPERATION, clientKey);
    RequestFingerprint fingerprint =
        RequestFingerprint.ofParts(
            request.account(), Long.toString(request.amountCents()), currency);
    try (IdempotentExecution execution = idempotency.begin(key, fingerprint)) {
      if (execution.kind() == IdempotentExecution.Kind.REPLAY) {
        StoredOutcome outcome = execution.replayedOutcome().orElseThrow();
        return respond(outcome.status(), outcome.bodyAsString(), true);
      }
      payments.callCardNetwork();
      Optional<String> owner = execution.ownerToken(); // empty only when running fail-open
      String body =
          transactions.execute(
              tx -> {
                Payments.Payment payment = payments.insert(request, currency);
                String paymentJson = json.writeValueAsString(payment);
                if (owner.isPresent()) {
                  // The transaction's own connection: the completion commits with the payment.
                  jdbc.execute(
                      (ConnectionCallback<Void>)
                          connection -> {
                            store.completeInTransactionOrThrow(
                                connection,
                                key,
                                owner.get(),
                                StoredOutcome.of(201, paymentJson.getBytes(StandardCharsets.UTF_8)),
                                execution.config().getRetention());
                            return null;
                          });
                }
                return paymentJson;
              });
      if (owner.isPresent()) {
        execution.markCompletedExternally();
      }
      return respond(201, body, false);
    }
  }

  private static String parseKey(String header) {
    if (header == null || header.isBlank()) {
      throw new InvalidInputException("Idempotency-Key", "header is required");
    }
    String key = header.trim();
    if (key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")) {
      key = key.substring(1, key.length() - 1);
    }
    if (!KEY.matcher(key).matches()) {
      throw new InvalidInputException(
          "Idempotency-Key",
          "must be 1 to 255 characters of letters, digits and -._~:+/=@ (optionally quoted)");
    }
    return key;
  }

  private static ResponseEntity<String> respond(int status, String body, boolean replayed) {
    ResponseEntity.BodyBuilder response =
        ResponseEntity.status(HttpStatus.valueOf(status)).contentType(MediaType.APPLICATION_JSON);
    if (replayed) {
      response.header("Idempotent-Replayed", "true");
    }
    return response.body(body);
  }
}
