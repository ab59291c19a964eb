package io.github.reliability4j.examples.service;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.http.HttpStatus;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Publishes payment events and steers their consumer, for the demo and for exploring by hand:
 *
 * <ul>
 *   <li>{@code POST /payment-events} with an {@code Idempotency-Key} header and a payment body
 *       publishes one event (202); the consumer applies it.
 *   <li>{@code POST /payment-events/consumer/crash-after-commit?key=K}: the next delivery of K
 *       fails after its database commit, before the offset commit, so it is delivered again.
 *   <li>{@code POST /payment-events/consumer/pause|resume}; {@code GET /payment-events/consumer}.
 * </ul>
 */
@RestController
@RequestMapping("/payment-events")
class PaymentEventsController {

  private final KafkaTemplate<String, String> kafka;
  private final KafkaListenerEndpointRegistry registry;
  private final PaymentEventsListener listener;

  PaymentEventsController(
      KafkaTemplate<String, String> kafka,
      KafkaListenerEndpointRegistry registry,
      PaymentEventsListener listener) {
    this.kafka = kafka;
    this.registry = registry;
    this.listener = listener;
  }

  @PostMapping
  @ResponseStatus(HttpStatus.ACCEPTED)
  Map<String, Object> publish(
      @RequestHeader("Idempotency-Key") String key, @RequestBody String payment)
      throws InterruptedException, ExecutionException, TimeoutException {
    ProducerRecord<String, String> record =
        new ProducerRecord<>(PaymentEventsConfiguration.TOPIC, key, payment);
    record.headers().add("Idempotency-Key", key.getBytes(StandardCharsets.UTF_8));
    var sent = kafka.send(record).get(10, TimeUnit.SECONDS);
    return Map.of(
        "partition", sent.getRecordMetadata().partition(),
        "offset", sent.getRecordMetadata().offset());
  }

  @PostMapping("/consumer/crash-after-commit")
  Map<String, Object> crashAfterCommit(@RequestParam String key) {
    listener.crashAfterCommit(key);
    return state();
  }

  @PostMapping("/consumer/pause")
  Map<String, Object> pause() {
    container().pause();
    return state();
  }

  @PostMapping("/consumer/resume")
  Map<String, Object> resume() {
    container().resume();
    return state();
  }

  @GetMapping("/consumer")
  Map<String, Object> state() {
    Map<String, Object> state = new LinkedHashMap<>();
    MessageListenerContainer c = container();
    state.put("running", c.isRunning());
    state.put("paused", c.isPauseRequested());
    state.put("handlerRuns", listener.runs());
    return state;
  }

  private MessageListenerContainer container() {
    return registry.getListenerContainer(PaymentEventsConfiguration.LISTENER);
  }
}
