package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import io.github.reliability4j.test.health.AbstractProbeContract;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsResult;
import org.apache.kafka.clients.admin.ForwardingAdmin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;

/**
 * {@link KafkaConsumerLagProbe} against the embedded KRaft broker with a real consumer group: a
 * running consumer with nothing to read passes; a paused consumer that falls {@code failLag}
 * records behind fails with the lag in the output. Blocking is tested where the probe obtains its
 * Admin client (the supplier blocks until interrupted, as the JDBC contract's connection factory
 * does); a silent broker (a socket that accepts and never answers) is tested on its own below, with
 * the timeout the probe gave the client.
 */
class KafkaConsumerLagProbeContractTest extends AbstractProbeContract {

  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final String topic = "r4j-i19d-contract-" + suffix;
  private final String group = "r4j-i19d-contract-" + suffix;

  private RecordingAdmin admin;
  private KafkaMessageListenerContainer<String, String> consumer;
  private final Gate gate = new Gate();

  /** A real Admin client that records the timeout each describe call was given. */
  static final class RecordingAdmin extends ForwardingAdmin {
    final List<Integer> timeouts = new ArrayList<>();

    RecordingAdmin(String bootstrap) {
      super(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    @Override
    public synchronized DescribeConsumerGroupsResult describeConsumerGroups(
        Collection<String> groupIds, DescribeConsumerGroupsOptions options) {
      timeouts.add(options.timeoutMs());
      return super.describeConsumerGroups(groupIds, options);
    }

    synchronized Optional<Duration> lastTimeout() {
      return timeouts.isEmpty()
          ? Optional.empty()
          : Optional.of(Duration.ofMillis(timeouts.get(timeouts.size() - 1)));
    }
  }

  @BeforeEach
  void startConsumer() {
    TestKafka.broker().addTopics(topic);
    admin = new RecordingAdmin(TestKafka.broker().getBrokersAsString());
    ContainerProperties properties = new ContainerProperties(topic);
    properties.setGroupId(group);
    properties.setMessageListener((MessageListener<String, String>) record -> {});
    consumer =
        new KafkaMessageListenerContainer<>(
            new DefaultKafkaConsumerFactory<>(
                Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    TestKafka.broker().getBrokersAsString(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                    "earliest"),
                new StringDeserializer(),
                new StringDeserializer()),
            properties);
    consumer.start();
  }

  @AfterEach
  void stopConsumer() {
    gate.open();
    consumer.stop();
    admin.close(Duration.ofSeconds(1));
  }

  private org.apache.kafka.clients.admin.Admin admin() {
    try {
      gate.pass();
    } catch (InterruptedException e) {
      throw new InterruptException(e);
    }
    return admin;
  }

  @Override
  protected Probe probe() {
    return KafkaConsumerLagProbe.builder(this::admin, () -> List.of(group))
        .warnLag(1)
        .failLag(3)
        .build();
  }

  @Override
  protected void makeHealthy() {
    gate.open();
    if (!consumer.isRunning()) {
      return; // torn down
    }
    if (consumer.isPauseRequested()) {
      consumer.resume();
    }
    KafkaIdempotentListenerTest.await(
        () -> {
          Collection<?> assigned = consumer.getAssignedPartitions();
          return assigned != null && !assigned.isEmpty();
        },
        "the consumer is assigned its partitions");
  }

  @Override
  protected String makeFailing() {
    makeHealthy();
    consumer.pause();
    KafkaIdempotentListenerTest.await(consumer::isContainerPaused, "the consumer paused");
    try (KafkaProducer<String, String> producer = KafkaIdempotentListenerTest.producer()) {
      for (int i = 0; i < 5; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
      }
      producer.flush();
    }
    return "group " + group + " lags 5 records";
  }

  @Override
  protected boolean makeHanging() {
    gate.close();
    return true;
  }

  @Override
  protected boolean blockedInComponent() {
    return gate.blocked();
  }

  @Override
  protected Optional<Duration> timeoutGiven() {
    return admin.lastTimeout();
  }

  @Test
  void aSilentBrokerEndsTheCheckWithinItsDeadlineWithoutPassing() throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      List<Socket> accepted = new CopyOnWriteArrayList<>();
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(silent.accept()); // never answers
                  }
                } catch (Exception closed) {
                  // the test is over
                }
              },
              "silent-kafka-broker");
      acceptor.setDaemon(true);
      acceptor.start();
      RecordingAdmin silentAdmin = new RecordingAdmin("127.0.0.1:" + silent.getLocalPort());
      try {
        Probe probe =
            KafkaConsumerLagProbe.builder(() -> silentAdmin, () -> List.of(group)).build();
        Duration deadline = Duration.ofSeconds(2);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread check =
            new Thread(
                () -> {
                  try {
                    outcome.set(probe.check(new ProbeContext("silent", Instant.now(), deadline)));
                  } catch (Throwable t) {
                    outcome.set(t);
                  }
                });
        check.start();
        check.join(deadline().toMillis());
        assertThat(check.isAlive()).as("check still waiting for the silent broker").isFalse();
        if (outcome.get() instanceof ProbeResult r) {
          assertThat(r.status()).isNotEqualTo(HealthStatus.PASS);
        } else {
          assertThat(outcome.get()).isInstanceOf(Exception.class);
        }
        assertThat(silentAdmin.lastTimeout())
            .hasValueSatisfying(t -> assertThat(t).isPositive().isLessThanOrEqualTo(deadline));
      } finally {
        silentAdmin.close(Duration.ZERO);
        for (Socket s : accepted) {
          s.close();
        }
      }
    }
  }
}
