package io.github.reliability4j.examples.service;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Starts an embedded Kafka broker (KRaft, in this JVM: {@code spring-kafka-test}'s {@link
 * EmbeddedKafkaKraftBroker}) with the payment-events topics before the context refreshes, unless
 * {@code demo.kafka.bootstrap-servers} names a broker of your own, and sets that property. The
 * broker is stopped when the context closes, after the listener containers. Nothing is installed:
 * the demo's one command keeps working on embedded defaults.
 */
public final class EmbeddedKafka
    implements ApplicationContextInitializer<ConfigurableApplicationContext> {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  /** The embedded broker (empty with an external one) and how long it took to start. */
  public static final class Broker implements DisposableBean {

    private final EmbeddedKafkaKraftBroker broker;
    private final Duration startup;

    Broker(EmbeddedKafkaKraftBroker broker, Duration startup) {
      this.broker = broker;
      this.startup = startup;
    }

    public Optional<Duration> embeddedStartup() {
      return broker == null ? Optional.empty() : Optional.of(startup);
    }

    @Override
    public void destroy() {
      if (broker != null) {
        broker.destroy();
      }
    }
  }

  @Override
  public void initialize(ConfigurableApplicationContext context) {
    ConfigurableEnvironment env = context.getEnvironment();
    EmbeddedKafkaKraftBroker broker = null;
    Duration startup = Duration.ZERO;
    if (!env.containsProperty("demo.kafka.bootstrap-servers")) {
      log.info("Starting an embedded Kafka broker (KRaft)");
      long start = System.nanoTime();
      broker =
          new EmbeddedKafkaKraftBroker(
              1, 2, PaymentEventsConfiguration.TOPIC, PaymentEventsConfiguration.TOPIC + "-dlt");
      broker.afterPropertiesSet();
      startup = Duration.ofNanos(System.nanoTime() - start);
      env.getPropertySources()
          .addFirst(
              new MapPropertySource(
                  "demoEmbeddedKafka",
                  Map.of("demo.kafka.bootstrap-servers", broker.getBrokersAsString())));
    }
    Broker holder = new Broker(broker, startup);
    context.getBeanFactory().registerSingleton("demoEmbeddedKafka", holder);
    // Registered before the listener containers, so destroyed after they stopped.
    ((DefaultSingletonBeanRegistry) context.getBeanFactory())
        .registerDisposableBean("demoEmbeddedKafka", holder);
  }
}
