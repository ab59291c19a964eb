package io.github.reliability4j.spring.messaging;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** One embedded KRaft broker per test JVM, started at first use and stopped at JVM exit. */
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
}
