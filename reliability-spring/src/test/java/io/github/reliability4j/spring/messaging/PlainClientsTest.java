package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.jdbc.idempotency.TransactionalIdempotentConsumer;
import io.github.reliability4j.test.services.Services;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * {@link TransactionalIdempotentConsumer} with the plain clients, no Spring involved: the Kafka
 * consumer committing offsets after each batch's transactions, and the RabbitMQ Java client acking
 * after the transaction. In both, a consumer dies after database commits and before its offset
 * commit / ack; its successor gets the messages again and the table still has one row per key.
 */
class PlainClientsTest {

  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final String table = "r4j_plain_" + suffix;
  private final String keysTable = "r4j_plain_keys_" + suffix;
  private HikariDataSource dataSource;
  private TransactionalIdempotentConsumer<Msg> inbox;
  private final AtomicInteger handled = new AtomicInteger();

  /** What both clients hand to the inbox. */
  record Msg(String key, String body) {}

  @BeforeEach
  void setUp() {
    dataSource = new HikariDataSource();
    dataSource.setJdbcUrl(Services.postgresJdbcUrl());
    dataSource.setMaximumPoolSize(4);
    new JdbcTemplate(dataSource).execute("create table " + table + " (k text, body text)");
    JdbcIdempotencyStore store =
        JdbcIdempotencyStore.create(
            dataSource,
            JdbcIdempotencyStoreConfig.custom()
                .tableName(keysTable)
                .initializeSchema(true)
                .build());
    inbox =
        TransactionalIdempotentConsumer.<Msg>builder(
                Idempotency.of(store),
                dataSource,
                "plain-" + suffix,
                "apply",
                Msg::key,
                m -> RequestFingerprint.sha256(m.body()),
                (m, connection) -> {
                  handled.incrementAndGet();
                  try (PreparedStatement ps =
                      connection.prepareStatement("insert into " + table + " values (?, ?)")) {
                    ps.setString(1, m.key());
                    ps.setString(2, m.body());
                    ps.executeUpdate();
                  }
                })
            .build();
  }

  @AfterEach
  void tearDown() {
    if (dataSource != null) {
      JdbcTemplate jdbc = new JdbcTemplate(dataSource);
      jdbc.execute("drop table if exists " + table);
      jdbc.execute("drop table if exists " + keysTable);
      dataSource.close();
    }
  }

  @Test
  void kafkaConsumerCommittingOffsetsAfterTheTransactionsSurvivesACrash() throws Exception {
    String topic = "r4j-plain-" + suffix;
    TestKafka.broker().addTopics(topic);
    int distinct = 300;
    int sent = 0;
    try (KafkaProducer<String, String> producer = KafkaIdempotentListenerTest.producer()) {
      for (int i = 0; i < distinct; i++) {
        for (int copy = 0; copy < (i % 3 == 0 ? 2 : 1); copy++) {
          ProducerRecord<String, String> r = new ProducerRecord<>(topic, "body-" + i);
          r.headers().add("Idempotency-Key", ("k-" + i).getBytes(StandardCharsets.UTF_8));
          producer.send(r);
          sent++;
        }
      }
      producer.flush();
    }
    String group = "plain-" + suffix;
    AtomicInteger replayed = new AtomicInteger();
    // First consumer: processes 120 records, committing offsets after each batch, then dies in the
    // middle of a batch: its last transactions committed, their offsets did not.
    try (KafkaConsumer<String, String> first = consumer(group)) {
      first.subscribe(java.util.List.of(topic));
      int processed = 0;
      outer:
      while (true) {
        for (ConsumerRecord<String, String> r : first.poll(Duration.ofMillis(500))) {
          if (inbox.process(msg(r)) == IdempotencyResult.Status.REPLAYED) {
            replayed.incrementAndGet();
          }
          if (++processed == 120) {
            break outer; // crash: close without committing
          }
        }
        first.commitSync();
      }
    }
    int firstHandled = handled.get();
    try (KafkaConsumer<String, String> second = consumer(group)) {
      second.subscribe(java.util.List.of(topic));
      KafkaIdempotentListenerTest.await(
          () -> {
            try {
              for (ConsumerRecord<String, String> r : second.poll(Duration.ofMillis(200))) {
                if (inbox.process(msg(r)) == IdempotencyResult.Status.REPLAYED) {
                  replayed.incrementAndGet();
                }
              }
              second.commitSync();
              return handled.get() == distinct
                  && second.committed(partitions(second)).values().stream()
                          .mapToLong(o -> o == null ? 0 : o.offset())
                          .sum()
                      == totalEnd(second);
            } catch (java.sql.SQLException e) {
              throw new IllegalStateException(e);
            }
          },
          "all records processed by the second consumer");
    }
    assertThat(firstHandled).isLessThan(distinct);
    assertOneRowPerKey(distinct);
    // Every re-send and every record the crash redelivered was replayed, never handled again.
    assertThat(replayed.get()).isGreaterThan(sent - distinct);
    assertThat(handled.get()).isEqualTo(distinct);
  }

  @Test
  void rabbitClientAckingAfterTheTransactionSurvivesAConnectionKilledBeforeTheAck()
      throws Exception {
    Services.requireRabbitMq();
    String queue = "r4j-plain-" + suffix;
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(5672);
    factory.setUsername("guest");
    factory.setPassword("guest");
    int distinct = 100;
    try (Connection setup = factory.newConnection();
        Channel channel = setup.createChannel()) {
      channel.queueDeclare(queue, false, false, false, null);
      int published = 0;
      for (int i = 0; i < distinct; i++) {
        for (int copy = 0; copy < (i % 4 == 0 ? 2 : 1); copy++) {
          published++;
          AMQP.BasicProperties props =
              new AMQP.BasicProperties.Builder()
                  .headers(Map.of("Idempotency-Key", "k-" + i))
                  .build();
          channel.basicPublish("", queue, props, ("body-" + i).getBytes(StandardCharsets.UTF_8));
        }
      }
      // First consumer, prefetch 10: after 30 committed transactions it stops acking; its
      // connection is then killed with those messages unacknowledged.
      Connection first = factory.newConnection();
      Channel a = first.createChannel();
      a.basicQos(10);
      AtomicInteger seen = new AtomicInteger();
      // Every published message is acknowledged exactly once, by one of the two consumers.
      AtomicInteger acked = new AtomicInteger();
      AtomicBoolean dead = new AtomicBoolean();
      CountDownLatch crashed = new CountDownLatch(1);
      a.basicConsume(
          queue,
          false,
          (tag, delivery) -> {
            if (dead.get()) {
              return;
            }
            process(delivery);
            if (seen.incrementAndGet() == 30) {
              dead.set(true);
              crashed.countDown();
              return; // committed, never acked
            }
            a.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
            acked.incrementAndGet();
          },
          tag -> {});
      assertThat(crashed.await(30, TimeUnit.SECONDS)).isTrue();
      first.abort();
      Connection second = factory.newConnection();
      try {
        Channel b = second.createChannel();
        b.basicQos(10);
        b.basicConsume(
            queue,
            false,
            (tag, delivery) -> {
              process(delivery);
              b.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
              acked.incrementAndGet();
            },
            tag -> {});
        int total = published;
        // Acknowledged, not only handled: a duplicate still unacknowledged at close would be
        // requeued.
        KafkaIdempotentListenerTest.await(
            () -> handled.get() == distinct && acked.get() == total,
            "all messages handled and acknowledged: " + handled.get() + ", " + acked.get());
        second.close();
        assertThat(channel.messageCount(queue)).isZero();
      } finally {
        second.abort();
      }
      channel.queueDelete(queue);
    }
    assertOneRowPerKey(distinct);
    assertThat(handled.get()).isEqualTo(distinct);
  }

  private void process(Delivery delivery) {
    Object key = delivery.getProperties().getHeaders().get("Idempotency-Key");
    try {
      inbox.process(
          new Msg(key.toString(), new String(delivery.getBody(), StandardCharsets.UTF_8)));
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Msg msg(ConsumerRecord<String, String> r) {
    Header h = r.headers().lastHeader("Idempotency-Key");
    return new Msg(new String(h.value(), StandardCharsets.UTF_8), r.value());
  }

  private static java.util.Set<org.apache.kafka.common.TopicPartition> partitions(
      KafkaConsumer<String, String> consumer) {
    return consumer.assignment();
  }

  private static long totalEnd(KafkaConsumer<String, String> consumer) {
    return consumer.endOffsets(consumer.assignment()).values().stream()
        .mapToLong(Long::longValue)
        .sum();
  }

  private static KafkaConsumer<String, String> consumer(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.broker().getBrokersAsString());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  private void assertOneRowPerKey(int distinct) {
    JdbcTemplate jdbc = new JdbcTemplate(dataSource);
    assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class))
        .isEqualTo(distinct);
    assertThat(jdbc.queryForObject("select count(distinct k) from " + table, Integer.class))
        .isEqualTo(distinct);
  }
}
