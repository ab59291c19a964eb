package io.github.reliability4j.examples.service;

import io.github.reliability4j.spring.messaging.IdempotentListener;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Applies payment events from Kafka to {@code demo_payments}, exactly once per {@code
 * Idempotency-Key} header: {@code @IdempotentListener} on a {@code @Transactional} listener, so the
 * payment row and the key's record commit in one transaction (the transactional inbox). A
 * redelivery (a crash after the commit and before the offset commit, a rebalance, a producer's
 * retried send) is acknowledged without running this method again.
 *
 * <p>An event whose payment is invalid is poison ({@link InvalidInputException}): dead-lettered to
 * {@code demo-payment-events-dlt} at once instead of retried.
 *
 * <p>For the demo it can be told to fail right after the database commit of one key, before the
 * container commits the offset, as a consumer killed in that window would: the record is then
 * delivered again.
 */
@Component
class PaymentEventsListener {

  private final Payments payments;
  private final JsonMapper json = JsonMapper.builder().build();
  private final Set<String> crashAfterCommit = ConcurrentHashMap.newKeySet();
  private final AtomicLong runs = new AtomicLong();

  PaymentEventsListener(Payments payments) {
    this.payments = payments;
  }

  @KafkaListener(
      id = PaymentEventsConfiguration.LISTENER,
      topics = PaymentEventsConfiguration.TOPIC,
      groupId = PaymentEventsConfiguration.GROUP)
  @IdempotentListener(
      operation = "apply-payment-event",
      name = PaymentEventsConfiguration.LISTENER,
      // A malformed event never gets better: dead-lettered at once, the key completed as failed.
      poison = InvalidInputException.class)
  @Transactional
  public void apply(ConsumerRecord<String, String> record) {
    runs.incrementAndGet();
    JsonNode event = json.readTree(record.value());
    Payments.PaymentRequest request =
        new Payments.PaymentRequest(
            event.path("account").asString(),
            event.path("amountCents").asLong(),
            event.path("currency").asString());
    payments.insert(request, payments.validate(request));
    Header key = record.headers().lastHeader("Idempotency-Key");
    if (key != null && crashAfterCommit.remove(new String(key.value()))) {
      TransactionSynchronizationManager.registerSynchronization(
          new TransactionSynchronization() {
            @Override
            public void afterCommit() {
              throw new IllegalStateException(
                  "demo: consumer crashed after the database commit, before the offset commit");
            }
          });
    }
  }

  /** The next delivery of {@code key} fails after its database commit. */
  void crashAfterCommit(String key) {
    crashAfterCommit.add(key);
  }

  /** How often the method body ran (deliveries skipped as duplicates do not count). */
  long runs() {
    return runs.get();
  }
}
