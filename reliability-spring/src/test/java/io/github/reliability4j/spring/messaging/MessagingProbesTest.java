package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.health.ComponentHealth;
import io.github.reliability4j.core.health.HealthChecker;
import io.github.reliability4j.core.health.HealthCheckerConfig;
import io.github.reliability4j.core.health.HealthSnapshot;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.spring.health.HealthAutoConfiguration;
import io.github.reliability4j.test.services.Services;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * The messaging probes in the real health checker: the Kafka lag probe registered automatically for
 * the application's listener group warns in the first evaluation after a paused consumer falls
 * behind and passes after it caught up; a broker that is down fails within the deadline while the
 * snapshot answers at once; the RabbitMQ probe reads depth and consumers of a real queue.
 */
class MessagingProbesTest {

  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);

  @Test
  void pausedConsumerWarnsInTheNextEvaluationAndPassesAfterCatchingUp() throws Exception {
    String topic = "r4j-lag-" + suffix;
    TestKafka.broker().addTopics(topic);
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                MessagingHealthAutoConfiguration.class, HealthAutoConfiguration.class))
        .withUserConfiguration(LagApp.class)
        .withPropertyValues(
            "test.topic=" + topic,
            "test.group=lag-" + suffix,
            "test.brokers=" + TestKafka.broker().getBrokersAsString(),
            "reliability.health.data-source-probes=false",
            "reliability.health.interval=1h",
            "reliability.messaging.health.kafka.warn-lag=50")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              HealthChecker checker = context.getBean(HealthChecker.class);
              MessageListenerContainer container =
                  context.getBean(KafkaListenerEndpointRegistry.class).getListenerContainer("lag");
              KafkaIdempotentListenerTest.await(
                  () -> status(evaluate(checker)) == HealthStatus.PASS,
                  "the consumer is assigned its partitions");
              container.pause();
              KafkaIdempotentListenerTest.await(container::isPauseRequested, "pause requested");
              produce(topic, 200);
              HealthSnapshot paused = evaluate(checker);
              assertThat(status(paused)).isEqualTo(HealthStatus.WARN);
              ProbeResult result = paused.component("kafka-consumer-lag").result();
              assertThat(result.observedValue()).isEqualTo(200L);
              assertThat(result.output()).contains("lag-" + suffix).contains("200");
              assertThat(paused.report(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.WARN);
              container.resume();
              KafkaIdempotentListenerTest.await(
                  () -> status(evaluate(checker)) == HealthStatus.PASS, "caught up");
              assertThat(context.getBean(LagApp.class).seen.get()).isEqualTo(200);
            });
  }

  @Test
  void brokerDownFailsWithinTheDeadlineWhileTheSnapshotAnswersAtOnce() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port);
    Admin admin = Admin.create(props);
    HealthChecker checker =
        HealthChecker.builder()
            .config(HealthCheckerConfig.custom().interval(Duration.ofHours(1)).build())
            .probe(
                ProbeRegistration.builder(
                        "kafka-consumer-lag",
                        KafkaConsumerLagProbe.builder(() -> admin, () -> List.of("g")).build())
                    .deadline(Duration.ofSeconds(1))
                    .kinds(ProbeKind.READINESS)
                    .build())
            .build();
    try {
      checker.start();
      CompletableFuture<HealthSnapshot> evaluation = checker.evaluateNow();
      // The endpoint reads the snapshot: it never waits for the evaluation in flight.
      assertThat(checker.snapshot()).isNotNull();
      HealthSnapshot after = evaluation.get(30, TimeUnit.SECONDS);
      ComponentHealth lag = after.component("kafka-consumer-lag");
      assertThat(lag.status()).isEqualTo(HealthStatus.FAIL);
      assertThat(lag.result().duration()).isLessThan(Duration.ofSeconds(10));
    } finally {
      checker.close();
      // Pending calls to the absent broker are abandoned, not waited for.
      admin.close(Duration.ZERO);
    }
  }

  @Test
  void lagProbeRejectsInconsistentThresholds() {
    assertThatThrownBy(
            () ->
                KafkaConsumerLagProbe.builder(() -> null, List::of)
                    .warnLag(100)
                    .failLag(10)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("failLag (10)")
        .hasMessageContaining("warnLag (100)");
    assertThatThrownBy(() -> KafkaConsumerLagProbe.builder(() -> null, List::of).warnLag(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("warnLag must be positive, but was 0");
  }

  @Test
  void rabbitProbeReportsDepthConsumersAndMissingQueues() throws Exception {
    Services.requireRabbitMq();
    String queue = "r4j-probe-" + suffix;
    CachingConnectionFactory factory = RabbitIdempotentListenerTest.connectionFactory();
    RabbitAdmin admin = new RabbitAdmin(factory);
    admin.declareQueue(QueueBuilder.nonDurable(queue).build());
    try {
      RabbitTemplate template = new RabbitTemplate(factory);
      for (int i = 0; i < 5; i++) {
        template.send(queue, MessageBuilder.withBody(new byte[] {1}).build());
      }
      KafkaIdempotentListenerTest.await(
          () -> admin.getQueueInfo(queue).getMessageCount() == 5, "5 messages queued");
      ProbeResult deep =
          RabbitQueueProbe.builder(factory)
              .queues(List.of(queue))
              .warnDepth(3)
              .build()
              .check(context());
      assertThat(deep.status()).isEqualTo(HealthStatus.WARN);
      assertThat(deep.observedValue()).isEqualTo(5L);
      assertThat(deep.output()).contains(queue).contains("5 messages");
      ProbeResult noConsumer =
          RabbitQueueProbe.builder(factory)
              .queues(List.of(queue))
              .minConsumers(1)
              .build()
              .check(context());
      assertThat(noConsumer.status()).isEqualTo(HealthStatus.WARN);
      assertThat(noConsumer.output()).contains("0 consumers");
      admin.purgeQueue(queue);
      assertThat(
              RabbitQueueProbe.builder(factory)
                  .queues(List.of(queue))
                  .build()
                  .check(context())
                  .status())
          .isEqualTo(HealthStatus.PASS);
      ProbeResult missing =
          RabbitQueueProbe.builder(factory)
              .queues(List.of(queue + "-missing"))
              .build()
              .check(context());
      assertThat(missing.status()).isEqualTo(HealthStatus.FAIL);
      assertThat(missing.output()).contains(queue + "-missing");
    } finally {
      admin.deleteQueue(queue);
      factory.destroy();
    }
  }

  @Test
  void rabbitProbeFailsWhenTheBrokerIsUnreachable() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    CachingConnectionFactory factory = new CachingConnectionFactory("127.0.0.1", port);
    try {
      HealthChecker checker =
          HealthChecker.builder()
              .probe(
                  ProbeRegistration.builder("rabbitmq", RabbitQueueProbe.builder(factory).build())
                      .deadline(Duration.ofSeconds(2))
                      .build())
              .build();
      try (checker) {
        checker.start();
        HealthSnapshot snapshot = checker.evaluateNow().get(30, TimeUnit.SECONDS);
        assertThat(snapshot.component("rabbitmq").status()).isEqualTo(HealthStatus.FAIL);
      }
    } finally {
      factory.destroy();
    }
  }

  private static io.github.reliability4j.core.health.ProbeContext context() {
    return new io.github.reliability4j.core.health.ProbeContext(
        "probe", java.time.Instant.now(), Duration.ofSeconds(5));
  }

  private static HealthSnapshot evaluate(HealthChecker checker) {
    return checker.evaluateNow().join();
  }

  private static HealthStatus status(HealthSnapshot snapshot) {
    ComponentHealth lag = snapshot.component("kafka-consumer-lag");
    return lag == null ? null : lag.status();
  }

  private static void produce(String topic, int n) {
    try (KafkaProducer<String, String> producer = KafkaIdempotentListenerTest.producer()) {
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
      }
      producer.flush();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @EnableKafka
  static class LagApp {
    final AtomicInteger seen = new AtomicInteger();

    @Bean
    KafkaAdmin kafkaAdmin(@Value("${test.brokers}") String brokers) {
      return new KafkaAdmin(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers));
    }

    @Bean
    ConcurrentKafkaListenerContainerFactory<String, String> kafkaListenerContainerFactory(
        @Value("${test.brokers}") String brokers) {
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
      return factory;
    }

    @KafkaListener(id = "lag", topics = "${test.topic}", groupId = "${test.group}")
    void on(ConsumerRecord<String, String> record) {
      seen.incrementAndGet();
    }
  }
}
