package io.github.reliability4j.spring.messaging;

import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.await;
import static io.github.reliability4j.spring.messaging.KafkaIdempotentListenerTest.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.util.backoff.FixedBackOff;

/**
 * Bad input to a transactional {@code @IdempotentListener} on {@code @KafkaListener} (embedded
 * KRaft broker, the machine's PostgreSQL 15): a payload that cannot be deserialized takes the
 * framework's error path (straight to the dead-letter topic, the method never runs, no dedup record
 * is written); a record without a key, with an over-long key or with a control character in its key
 * is dead-lettered with its reason. None is retried, none charges, and the valid record sent after
 * them is processed once: bad input never blocks the partition.
 */
class KafkaBadInputTest {

  private KafkaListenerFixture kafka;

  @BeforeEach
  void setUp() {
    // One partition: the valid record after the bad ones proves they did not block it.
    kafka = KafkaListenerFixture.onMachinePostgres("bad", "k varchar(400), body text", 4, 1);
  }

  @AfterEach
  void tearDown() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void badRecordsAreDeadLetteredWithTheirReasonAndNeverBlockThePartition() {
    kafka
        .runner(App.class)
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              try (KafkaProducer<String, String> producer =
                  KafkaIdempotentListenerTest.producer()) {
                producer.send(record("undeserializable", "garbage: not a payment", "bad-payload"));
                producer.send(record("no-key", "a payment without key", null));
                producer.send(record("too-long", "a payment", "x".repeat(300)));
                producer.send(record("control", "a payment", "bell\u0007key"));
                producer.send(record("valid", "a valid payment", "good-1"));
                producer.flush();
              }
              await(() -> count(registry, "processed") == 1, "the valid record processed");
              Map<String, ConsumerRecord<String, byte[]>> dead = new ConcurrentHashMap<>();
              try (KafkaConsumer<String, byte[]> consumer = dltReader()) {
                consumer.subscribe(List.of(kafka.topic + "-dlt"));
                await(
                    () -> {
                      consumer.poll(Duration.ofMillis(200)).forEach(r -> dead.put(r.key(), r));
                      return dead.size() == 4;
                    },
                    "4 dead letters, got " + dead.keySet());
              }
              assertThat(header(dead.get("undeserializable"), "kafka_dlt-exception-fqcn"))
                  .contains("DeserializationException");
              assertThat(new String(dead.get("undeserializable").value(), StandardCharsets.UTF_8))
                  .as("the original bytes are kept")
                  .isEqualTo("garbage: not a payment");
              assertThat(header(dead.get("no-key"), "kafka_dlt-exception-message"))
                  .contains("MISSING_KEY");
              assertThat(header(dead.get("too-long"), "kafka_dlt-exception-message"))
                  .contains("INVALID_KEY")
                  .contains("max-key-length");
              assertThat(header(dead.get("control"), "kafka_dlt-exception-message"))
                  .contains("INVALID_KEY");
              JdbcTemplate jdbc = kafka.jdbc();
              assertThat(jdbc.queryForList("select body from " + kafka.table, String.class))
                  .containsExactly("a valid payment");
              assertThat(
                      jdbc.queryForList("select client_key from " + kafka.keysTable, String.class))
                  .as("dedup records: the valid key only, none for a payload never deserialized")
                  .containsExactly("good-1");
              assertThat(context.getBean(Calls.class).count).as("method runs").hasValue(1);
              assertThat(count(registry, "rejected"))
                  .as("each bad key rejected once: no retry")
                  .isEqualTo(3);
            });
  }

  private ProducerRecord<String, String> record(String recordKey, String value, String key) {
    ProducerRecord<String, String> r = new ProducerRecord<>(kafka.topic, recordKey, value);
    if (key != null) {
      r.headers().add("Idempotency-Key", key.getBytes(StandardCharsets.UTF_8));
    }
    return r;
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static KafkaConsumer<String, byte[]> dltReader() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.broker().getBrokersAsString());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "dlt-reader-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** Method runs. */
  static class Calls {
    final AtomicInteger count = new AtomicInteger();
  }

  @Configuration(proxyBeanMethods = false)
  @EnableKafka
  @EnableTransactionManagement
  @Import(KafkaListenerFixture.CommonBeans.class)
  static class App {

    @Bean
    Calls calls() {
      return new Calls();
    }

    @Bean
    DefaultErrorHandler errorHandler(@Value("${test.brokers}") String brokers) {
      Map<String, Object> producer = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
      // Records that failed to deserialize are dead-lettered with their original bytes.
      Map<Class<?>, KafkaOperations<?, ?>> templates =
          Map.of(
              byte[].class,
              new KafkaTemplate<>(
                  new DefaultKafkaProducerFactory<>(
                      producer, new StringSerializer(), new ByteArraySerializer())),
              String.class,
              TestKafka.template(brokers));
      return new DefaultErrorHandler(
          new DeadLetterPublishingRecoverer(templates), new FixedBackOff(100, 50));
    }

    @Bean
    ConcurrentKafkaListenerContainerFactory<String, String> kafkaListenerContainerFactory(
        @Value("${test.brokers}") String brokers, DefaultErrorHandler errorHandler) {
      Deserializer<String> payments =
          (topic, data) -> {
            String s = new String(data, StandardCharsets.UTF_8);
            if (s.startsWith("garbage")) {
              throw new SerializationException("not a payment: " + s);
            }
            return s;
          };
      return TestKafka.listenerFactory(
          brokers, new ErrorHandlingDeserializer<>(payments), Map.of(), errorHandler);
    }

    @Bean
    Ledger ledger(DataSource dataSource, @Value("${test.table}") String table, Calls calls) {
      return new Ledger(new JdbcTemplate(dataSource), table, calls);
    }
  }

  /** One insert per processed record, in the listener's transaction. */
  static class Ledger {
    private final JdbcTemplate jdbc;
    private final String table;
    private final Calls calls;

    Ledger(JdbcTemplate jdbc, String table, Calls calls) {
      this.jdbc = jdbc;
      this.table = table;
      this.calls = calls;
    }

    @KafkaListener(id = "bad-ledger", topics = "${test.topic}", groupId = "${test.group}")
    @IdempotentListener(operation = "apply-payment", name = "apply-payment")
    @Transactional
    public void on(ConsumerRecord<String, String> record) {
      calls.count.incrementAndGet();
      jdbc.update(
          "insert into " + table + " (k, body) values (?, ?)", record.key(), record.value());
    }
  }
}
