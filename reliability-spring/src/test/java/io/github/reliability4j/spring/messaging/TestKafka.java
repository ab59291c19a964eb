package io.github.reliability4j.spring.messaging;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * One embedded KRaft broker per test JVM, started at first use and stopped at JVM exit, and the
 * Spring Kafka beans the listener tests share.
 */
final class TestKafka {

  private static EmbeddedKafkaKraftBroker broker;

  private TestKafka() {}

  static synchronized EmbeddedKafkaKraftBroker broker() {
    if (broker == null) {
      EmbeddedKafkaKraftBroker b = new EmbeddedKafkaKraftBroker(1, 4);
      b.afterPropertiesSet();
      Runtime.getRuntime().addShutdownHook(new Thread(b::destroy, "embedded-kafka-stop"));
      broker = b;
    }
    return broker;
  }

  /** A String template on {@code brokers}. */
  static KafkaTemplate<String, String> template(String brokers) {
    return new KafkaTemplate<>(
        new DefaultKafkaProducerFactory<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers),
            new StringSerializer(),
            new StringSerializer()));
  }

  /**
   * A listener container factory reading from the earliest offset with String keys, {@code values}
   * for values and {@code errorHandler} (null: the default).
   */
  static ConcurrentKafkaListenerContainerFactory<String, String> listenerFactory(
      String brokers,
      Deserializer<String> values,
      Map<String, Object> consumerSettings,
      CommonErrorHandler errorHandler) {
    Map<String, Object> config = new HashMap<>(consumerSettings);
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    ConcurrentKafkaListenerContainerFactory<String, String> factory =
        new ConcurrentKafkaListenerContainerFactory<>();
    factory.setConsumerFactory(
        new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), values));
    if (errorHandler != null) {
      factory.setCommonErrorHandler(errorHandler);
    }
    return factory;
  }
}
