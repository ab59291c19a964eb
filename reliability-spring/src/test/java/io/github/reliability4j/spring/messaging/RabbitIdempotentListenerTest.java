package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.spring.idempotency.IdempotencyAutoConfiguration;
import io.github.reliability4j.test.services.Services;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.annotation.EnableRabbit;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.config.SimpleRabbitListenerContainerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.ConditionalRejectingErrorHandler;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * {@code @IdempotentListener} on a {@code @RabbitListener} against the machine's real RabbitMQ and
 * PostgreSQL 15: two consumers on one queue, prefetch 10, channels closed by the broker mid-batch
 * and right after the database commit (before the ack), mismatches and bad keys dead-lettered, the
 * store down and back. The business table has no unique constraint: only the deduplication can keep
 * it at one row per key.
 */
class RabbitIdempotentListenerTest {

  private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final String queue = "r4j-test-" + suffix;
  private final String dlx = "r4j-test-dlx-" + suffix;
  private final String dlq = "r4j-test-dlq-" + suffix;
  private final String table = "r4j_pay_" + suffix;
  private final String keysTable = "r4j_keys_" + suffix;

  private CachingConnectionFactory admin;
  private HikariDataSource dataSource;

  @BeforeEach
  void setUp() {
    Services.requireRabbitMq();
    String url = Services.postgresJdbcUrl();
    dataSource = new HikariDataSource();
    dataSource.setJdbcUrl(url);
    dataSource.setMaximumPoolSize(8);
    new JdbcTemplate(dataSource)
        .execute("create table " + table + " (k varchar(1100), body text, consumer text)");
    admin = connectionFactory();
    RabbitAdmin rabbit = new RabbitAdmin(admin);
    DirectExchange exchange = new DirectExchange(dlx, false, true);
    Queue dead = QueueBuilder.nonDurable(dlq).build();
    rabbit.declareExchange(exchange);
    rabbit.declareQueue(dead);
    rabbit.declareBinding(BindingBuilder.bind(dead).to(exchange).with(queue));
    rabbit.declareQueue(
        QueueBuilder.nonDurable(queue).deadLetterExchange(dlx).deadLetterRoutingKey(queue).build());
  }

  @AfterEach
  void tearDown() {
    if (admin != null) {
      RabbitAdmin rabbit = new RabbitAdmin(admin);
      rabbit.deleteQueue(queue);
      rabbit.deleteQueue(dlq);
      rabbit.deleteExchange(dlx);
      admin.destroy();
    }
    if (dataSource != null) {
      JdbcTemplate jdbc = new JdbcTemplate(dataSource);
      jdbc.execute("drop table if exists " + table);
      jdbc.execute("drop table if exists " + keysTable);
      jdbc.execute("drop table if exists " + keysTable + "_down");
      dataSource.close();
    }
  }

  static CachingConnectionFactory connectionFactory() {
    CachingConnectionFactory factory = new CachingConnectionFactory("127.0.0.1", 5672);
    factory.setUsername("guest");
    factory.setPassword("guest");
    return factory;
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                IdempotencyAutoConfiguration.class, MessagingAutoConfiguration.class))
        .withUserConfiguration(App.class)
        // Not the pool itself: the context would close it at shutdown.
        .withBean(
            DataSource.class,
            () -> new org.springframework.jdbc.datasource.DelegatingDataSource(dataSource))
        .withPropertyValues(
            "test.queue=" + queue,
            "test.table=" + table,
            "reliability.idempotency.jdbc.table-name=" + keysTable,
            "reliability.idempotency.jdbc.initialize-schema=true");
  }

  @Test
  void duplicatesOnTwoConsumersWithChannelsClosedMidBatchLeaveOneRowPerKey() {
    runner()
        .run(
            context -> {
              Knobs ledger = context.getBean(Knobs.class);
              // Every 40th invocation closes its channel right after the database commit.
              ledger.killEvery = 40;
              RabbitTemplate template = new RabbitTemplate(admin);
              int distinct = 150;
              List<String> sends = new ArrayList<>();
              for (int i = 0; i < distinct; i++) {
                sends.add("k-" + i);
                sends.add("k-" + i);
                if (i % 2 == 0) {
                  sends.add("k-" + i);
                }
              }
              Collections.shuffle(sends, new java.util.Random(42));
              for (String key : sends) {
                template.send(queue, message(key, "pay " + key));
              }
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              await(
                  () ->
                      count(registry, "processed") == distinct
                          && count(registry, "duplicate") >= sends.size() - distinct
                          && ready(template) == 0,
                  "all messages processed or skipped: " + describe(registry));
              stopListeners(context);
              assertThat(ready(template)).as("nothing left unacknowledged").isZero();
              assertThat(ledger.kills.get()).as("channels killed after commit").isGreaterThan(2);
              // Each kill redelivers at least the committed message: one more duplicate each.
              assertThat(count(registry, "duplicate"))
                  .isGreaterThanOrEqualTo(sends.size() - distinct + ledger.kills.get());
              assertOneRowPerKey(distinct);
              assertThat(count(registry, "processed")).isEqualTo(distinct);
            });
  }

  @Test
  void crashAfterCommitBeforeAckIsAcknowledgedOnRedeliveryWithoutRunning() {
    runner()
        .run(
            context -> {
              Knobs ledger = context.getBean(Knobs.class);
              ledger.killKeys.add("crash-1");
              RabbitTemplate template = new RabbitTemplate(admin);
              template.send(queue, message("crash-1", "one"));
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              await(
                  () -> count(registry, "duplicate") == 1,
                  "redelivery skipped: " + describe(registry));
              stopListeners(context);
              assertThat(ready(template)).as("the redelivery was acknowledged").isZero();
              assertThat(ledger.kills.get()).isEqualTo(1);
              assertThat(ledger.invocations.get()).isEqualTo(1);
              assertThat(count(registry, "processed")).isEqualTo(1);
              assertOneRowPerKey(1);
            });
  }

  @Test
  void mismatchAndBadKeysAreDeadLetteredWithTheirReason() {
    runner()
        .run(
            context -> {
              RabbitTemplate template = new RabbitTemplate(admin);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              template.send(queue, message("m-1", "first"));
              await(() -> count(registry, "processed") == 1, "first processed");
              template.send(queue, message("m-1", "second, different"));
              template.send(
                  queue,
                  MessageBuilder.withBody("no key".getBytes(StandardCharsets.UTF_8)).build());
              template.send(queue, message("x".repeat(300), "too long"));
              template.send(queue, message("bell\u0007key", "control"));
              Map<String, Message> dead = new ConcurrentHashMap<>();
              await(
                  () -> {
                    Message m = template.receive(dlq, 200);
                    if (m != null) {
                      dead.put(new String(m.getBody(), StandardCharsets.UTF_8), m);
                    }
                    return dead.size() == 4;
                  },
                  "4 dead letters, got " + dead.keySet());
              Message mismatch = dead.get("second, different");
              @SuppressWarnings("unchecked")
              List<Map<String, Object>> xDeath =
                  (List<Map<String, Object>>) mismatch.getMessageProperties().getHeader("x-death");
              assertThat(xDeath.get(0)).containsEntry("reason", "rejected");
              assertThat(xDeath.get(0)).containsEntry("queue", queue);
              Recorder recorder = context.getBean(Recorder.class);
              assertThat(recorder.reasons.get("second, different"))
                  .isEqualTo(MessageRejectedException.Reason.MISMATCH);
              assertThat(recorder.reasons.get("no key"))
                  .isEqualTo(MessageRejectedException.Reason.MISSING_KEY);
              assertThat(recorder.reasons.get("too long"))
                  .isEqualTo(MessageRejectedException.Reason.INVALID_KEY);
              assertThat(recorder.reasons.get("control"))
                  .isEqualTo(MessageRejectedException.Reason.INVALID_KEY);
              assertThat(count(registry, "mismatched")).isEqualTo(1);
              assertThat(count(registry, "rejected")).isEqualTo(3);
              assertThat(
                      new JdbcTemplate(dataSource)
                          .queryForList("select body from " + table, String.class))
                  .containsExactly("first");
            });
  }

  @Test
  void missingKeyCanBeProcessedWithoutDedupButNeverSilently() {
    runner()
        .withPropertyValues("reliability.messaging.idempotency.missing-key=process")
        .run(
            context -> {
              RabbitTemplate template = new RabbitTemplate(admin);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              template.send(
                  queue, MessageBuilder.withBody("anon".getBytes(StandardCharsets.UTF_8)).build());
              JdbcTemplate jdbc = new JdbcTemplate(dataSource);
              // The metric is counted before the handler's transaction commits: wait for both.
              await(
                  () ->
                      count(registry, "no_key") == 1
                          && jdbc.queryForObject("select count(*) from " + table, Integer.class)
                              == 1,
                  "processed without a key");
              assertThat(count(registry, "processed")).isZero();
              assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class))
                  .isEqualTo(1);
            });
  }

  @Test
  void storeDownAcknowledgesNothingAndProcessesEverythingOnceItReturns() {
    runner()
        .run(
            context -> {
              RabbitTemplate template = new RabbitTemplate(admin);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              JdbcTemplate jdbc = new JdbcTemplate(dataSource);
              // The store's table disappears: every claim fails inside the real JDBC store.
              jdbc.execute("alter table " + keysTable + " rename to " + keysTable + "_down");
              int n = 20;
              for (int i = 0; i < n; i++) {
                template.send(queue, message("down-" + i, "body " + i));
              }
              await(
                  () -> count(registry, "store_unavailable") >= n,
                  "every message failed while the store is down: " + describe(registry));
              stopListeners(context);
              assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class))
                  .isZero();
              assertThat(ready(template)).as("nothing acknowledged, nothing lost").isEqualTo(n);
              jdbc.execute("alter table " + keysTable + "_down rename to " + keysTable);
              context.getBean(RabbitListenerEndpointRegistry.class).start();
              await(
                  () -> count(registry, "processed") == n,
                  "all processed after the store returned: " + describe(registry));
              stopListeners(context);
              assertThat(ready(template)).isZero();
              assertOneRowPerKey(n);
            });
  }

  @Test
  void unknownListenerNameInConfigurationFailsStartUpNamingIt() {
    runner()
        .withPropertyValues("reliability.messaging.idempotency.listeners.no-such.key-header=x")
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .isInstanceOf(
                      io.github.reliability4j.spring.InvalidReliabilityPropertyException.class)
                  .hasMessageContaining("reliability.messaging.idempotency.listeners.no-such")
                  .hasMessageContaining("apply-payment");
            });
  }

  private void assertOneRowPerKey(int distinct) {
    JdbcTemplate jdbc = new JdbcTemplate(dataSource);
    assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class))
        .isEqualTo(distinct);
    assertThat(jdbc.queryForObject("select count(distinct k) from " + table, Integer.class))
        .isEqualTo(distinct);
  }

  /** Messages ready in the queue (delivered but unacknowledged ones are not counted). */
  private int ready(RabbitTemplate template) {
    Integer ready =
        template.execute(channel -> channel.queueDeclarePassive(queue).getMessageCount());
    return ready == null ? -1 : ready;
  }

  /** Stops the consumers: whatever they hold unacknowledged goes back to the queue. */
  private static void stopListeners(ConfigurableApplicationContext context) {
    context.getBean(RabbitListenerEndpointRegistry.class).stop();
  }

  private static Message message(String key, String body) {
    return MessageBuilder.withBody(body.getBytes(StandardCharsets.UTF_8))
        .setHeader("Idempotency-Key", key)
        .build();
  }

  static double count(MeterRegistry registry, String outcome) {
    var counter =
        registry
            .find(ListenerMetrics.MESSAGES)
            .tag("listener", "apply-payment")
            .tag("outcome", outcome)
            .counter();
    return counter == null ? 0 : counter.count();
  }

  static String describe(MeterRegistry registry) {
    StringBuilder sb = new StringBuilder();
    for (ListenerMetrics.Outcome o : ListenerMetrics.Outcome.values()) {
      sb.append(o.tag).append('=').append((long) count(registry, o.tag)).append(' ');
    }
    return sb.toString();
  }

  static void await(BooleanSupplier condition, String what) {
    KafkaIdempotentListenerTest.await(condition, what);
  }

  /** Records why the container's error path saw each message fail. */
  static class Recorder {
    final Map<String, MessageRejectedException.Reason> reasons = new ConcurrentHashMap<>();
  }

  @Configuration(proxyBeanMethods = false)
  @EnableRabbit
  @EnableTransactionManagement
  static class App {

    @Bean
    CachingConnectionFactory rabbitConnectionFactory() {
      return connectionFactory();
    }

    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }

    @Bean
    Recorder recorder() {
      return new Recorder();
    }

    @Bean
    PlatformTransactionManager transactionManager(DataSource dataSource) {
      return new DataSourceTransactionManager(dataSource);
    }

    @Bean
    SimpleRabbitListenerContainerFactory rabbitListenerContainerFactory(
        CachingConnectionFactory connectionFactory, Recorder recorder) {
      SimpleRabbitListenerContainerFactory factory = new SimpleRabbitListenerContainerFactory();
      factory.setConnectionFactory(connectionFactory);
      factory.setConcurrentConsumers(2);
      factory.setPrefetchCount(10);
      factory.setDefaultRequeueRejected(true);
      ConditionalRejectingErrorHandler standard = new ConditionalRejectingErrorHandler();
      factory.setErrorHandler(
          t -> {
            Throwable c = t;
            while (c != null && !(c instanceof MessageRejectedException)) {
              c = c.getCause();
            }
            if (c != null
                && t
                    instanceof
                    org.springframework.amqp.rabbit.support.ListenerExecutionFailedException failed
                && !failed.getFailedMessages().isEmpty()) {
              recorder.reasons.put(
                  new String(
                      failed.getFailedMessages().iterator().next().getBody(),
                      StandardCharsets.UTF_8),
                  ((MessageRejectedException) c).getReason());
            }
            standard.handleError(t);
          });
      return factory;
    }

    @Bean
    Knobs knobs() {
      return new Knobs();
    }

    @Bean
    Ledger ledger(DataSource dataSource, @Value("${test.table}") String table, Knobs knobs) {
      return new Ledger(new JdbcTemplate(dataSource), table, knobs);
    }
  }

  /**
   * What the listener did and what it is told to break; separate because the listener is a proxy.
   */
  static class Knobs {
    final AtomicInteger invocations = new AtomicInteger();
    final AtomicInteger kills = new AtomicInteger();
    final Set<String> killKeys = ConcurrentHashMap.newKeySet();
    volatile int killEvery;
  }

  /** The business listener: one insert per processed message, in the listener's transaction. */
  static class Ledger {
    private final JdbcTemplate jdbc;
    private final String table;
    private final Knobs knobs;

    Ledger(JdbcTemplate jdbc, String table, Knobs knobs) {
      this.jdbc = jdbc;
      this.table = table;
      this.knobs = knobs;
    }

    @RabbitListener(queues = "${test.queue}")
    @IdempotentListener(operation = "apply-payment")
    @Transactional
    public void on(Message message, Channel channel) {
      Object key = message.getMessageProperties().getHeader("Idempotency-Key");
      int n = knobs.invocations.incrementAndGet();
      jdbc.update(
          "insert into " + table + " (k, body, consumer) values (?, ?, ?)",
          key == null ? null : key.toString(),
          new String(message.getBody(), StandardCharsets.UTF_8),
          Thread.currentThread().getName());
      boolean kill =
          (key != null && knobs.killKeys.remove(key.toString()))
              || (knobs.killEvery > 0 && n % knobs.killEvery == 0);
      if (kill) {
        TransactionSynchronizationManager.registerSynchronization(
            new TransactionSynchronization() {
              @Override
              public void afterCommit() {
                // A bogus ack makes the broker close the channel (PRECONDITION_FAILED) before the
                // container's ack of this message, so it and the prefetched ones are requeued.
                try {
                  knobs.kills.incrementAndGet();
                  channel.basicAck(Long.MAX_VALUE / 2, false);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              }
            });
      }
    }
  }
}
