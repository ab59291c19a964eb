package io.github.reliability4j.examples.service;

import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;

/**
 * Kafka wiring of the payment-events consumer, by hand (three beans a Spring Boot Kafka starter
 * would make from {@code spring.kafka.*}): the broker is {@code demo.kafka.bootstrap-servers}, set
 * by {@link EmbeddedKafka} unless you name your own.
 *
 * <p>The error handler retries a failed record without limit (a store outage or a crash must never
 * lose a payment), except the records {@code @IdempotentListener} rejects (a key reused with
 * another payload, a missing or bad key): reliability-spring marks those not retryable on every
 * {@code DefaultErrorHandler}, so they go to {@code payment-events-dlt} at once.
 */
@Configuration(proxyBeanMethods = false)
@EnableKafka
class PaymentEventsConfiguration {

  static final String TOPIC = "demo-payment-events";
  static final String GROUP = "demo-ledger";
  static final String LISTENER = "payment-events";

  @Bean
  KafkaAdmin kafkaAdmin(@Value("${demo.kafka.bootstrap-servers}") String brokers) {
    return new KafkaAdmin(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers));
  }

  @Bean
  NewTopic paymentEventsTopic() {
    return TopicBuilder.name(TOPIC).partitions(2).replicas(1).build();
  }

  @Bean
  NewTopic paymentEventsDeadLetterTopic() {
    return TopicBuilder.name(TOPIC + "-dlt").partitions(2).replicas(1).build();
  }

  /** A bean of its own, so the context closes its producer (before the embedded broker). */
  @Bean
  DefaultKafkaProducerFactory<String, String> kafkaProducerFactory(
      @Value("${demo.kafka.bootstrap-servers}") String brokers) {
    return new DefaultKafkaProducerFactory<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers),
        new StringSerializer(),
        new StringSerializer());
  }

  @Bean
  KafkaTemplate<String, String> kafkaTemplate(
      DefaultKafkaProducerFactory<String, String> producerFactory) {
    return new KafkaTemplate<>(producerFactory);
  }

  @Bean
  DefaultErrorHandler kafkaErrorHandler(KafkaTemplate<String, String> template) {
    return new DefaultErrorHandler(
        new DeadLetterPublishingRecoverer(template),
        new FixedBackOff(200, FixedBackOff.UNLIMITED_ATTEMPTS));
  }

  @Bean
  ConcurrentKafkaListenerContainerFactory<String, String> kafkaListenerContainerFactory(
      @Value("${demo.kafka.bootstrap-servers}") String brokers, DefaultErrorHandler errorHandler) {
    ConcurrentKafkaListenerContainerFactory<String, String> factory =
        new ConcurrentKafkaListenerContainerFactory<>();
    factory.setConsumerFactory(
        new DefaultKafkaConsumerFactory<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                brokers,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new StringDeserializer()));
    factory.setCommonErrorHandler(errorHandler);
    return factory;
  }
}
