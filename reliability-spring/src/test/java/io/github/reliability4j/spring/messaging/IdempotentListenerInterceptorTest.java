package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyConflictException;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.messaging.support.MessageBuilder;

/**
 * The interceptor installed by hand with a {@link ProxyFactory} over the in-memory store: key
 * sources, poison and retryable failures, in-flight duplicates under WAIT and REJECT, Spring
 * Messaging messages and the settings checks. Records are built directly (no broker).
 */
class IdempotentListenerInterceptorTest {

  private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();
  private final Idempotency idempotency = Idempotency.of(store);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  static class PoisonException extends RuntimeException {
    PoisonException(String m) {
      super(m);
    }
  }

  /** Listener methods as a user would write them; calls are recorded. */
  public static class Listener {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile RuntimeException failure;
    volatile CountDownLatch entered;
    volatile CountDownLatch release;

    @IdempotentListener(operation = "apply", scope = "svc", poison = PoisonException.class)
    public void byHeader(ConsumerRecord<String, String> record) throws InterruptedException {
      calls.add(record.value());
      if (entered != null) {
        entered.countDown();
        release.await(10, TimeUnit.SECONDS);
      }
      RuntimeException f = failure;
      if (f != null) {
        throw f;
      }
    }

    @IdempotentListener(operation = "by-key", scope = "svc", key = "key()")
    public void byRecordKey(ConsumerRecord<String, String> record) {
      calls.add(record.value());
    }

    @IdempotentListener(
        operation = "by-offset",
        scope = "svc",
        key = IdempotentListener.TOPIC_PARTITION_OFFSET)
    public void byOffset(ConsumerRecord<String, String> record) {
      calls.add(record.value());
    }

    @IdempotentListener(operation = "by-function", scope = "svc", keyFunction = "orderId")
    public void byFunction(ConsumerRecord<String, String> record) {
      calls.add(record.value());
    }

    @IdempotentListener(operation = "spring", scope = "svc")
    public void spring(org.springframework.messaging.Message<String> message) {
      calls.add(message.getPayload());
    }

    @IdempotentListener(operation = "no-scope")
    public void noScope(ConsumerRecord<String, String> record) {
      calls.add(record.value());
    }

    @IdempotentListener(operation = "bad")
    public void noMessage(String payload) {}
  }

  private Listener target;

  private Listener proxy(ConcurrencyMode mode) {
    MessagingProperties.Idempotency settings = new MessagingProperties.Idempotency();
    settings.setConcurrency(mode);
    DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
    beans.registerSingleton(
        "orderId", (Function<Object, String>) r -> "order-" + ((ConsumerRecord<?, ?>) r).value());
    IdempotentListenerInterceptor advice =
        IdempotentListenerInterceptor.builder(idempotency)
            .settings(settings)
            .meterRegistry(registry)
            .beanFactory(beans)
            .build();
    target = new Listener();
    ProxyFactory factory = new ProxyFactory(target);
    factory.setProxyTargetClass(true);
    factory.addAdvice(advice);
    return (Listener) factory.getProxy();
  }

  private static ConsumerRecord<String, String> record(String key, String header, String value) {
    return record(key, header, value, 0);
  }

  private static ConsumerRecord<String, String> record(
      String key, String header, String value, long offset) {
    ConsumerRecord<String, String> r = new ConsumerRecord<>("t", 0, offset, key, value);
    if (header != null) {
      r.headers().add("Idempotency-Key", header.getBytes(StandardCharsets.UTF_8));
    }
    return r;
  }

  private double count(String listener, String outcome) {
    var c =
        registry
            .find(ListenerMetrics.MESSAGES)
            .tag("listener", listener)
            .tag("outcome", outcome)
            .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void duplicateByHeaderIsSkippedAndCounted() throws Exception {
    Listener l = proxy(ConcurrencyMode.WAIT);
    l.byHeader(record(null, "k1", "a"));
    l.byHeader(record(null, "k1", "a"));
    l.byHeader(record(null, "k2", "b"));
    assertThat(target.calls).containsExactly("a", "b");
    assertThat(count("apply", "processed")).isEqualTo(2);
    assertThat(count("apply", "duplicate")).isEqualTo(1);
  }

  @Test
  void retryableFailureReleasesTheKeyAndPoisonCompletesItAsFailed() throws Exception {
    Listener l = proxy(ConcurrencyMode.WAIT);
    target.failure = new IllegalStateException("database busy");
    assertThatThrownBy(() -> l.byHeader(record(null, "k1", "a")))
        .isInstanceOf(IllegalStateException.class);
    target.failure = null;
    l.byHeader(record(null, "k1", "a"));
    assertThat(target.calls).containsExactly("a", "a");

    target.failure = new PoisonException("cannot parse amount");
    assertThatThrownBy(() -> l.byHeader(record(null, "p1", "x")))
        .isInstanceOf(MessageRejectedException.class)
        .hasCauseInstanceOf(PoisonException.class)
        .satisfies(
            e ->
                assertThat(((MessageRejectedException) e).getReason())
                    .isEqualTo(MessageRejectedException.Reason.POISON));
    target.failure = null;
    // The redelivery of a poison message is acknowledged without running again.
    l.byHeader(record(null, "p1", "x"));
    assertThat(target.calls).containsExactly("a", "a", "x");
    assertThat(count("apply", "poison")).isEqualTo(1);
    assertThat(count("apply", "failed")).isEqualTo(1);
  }

  @Test
  void mismatchIsRejectedWithoutRunning() throws Exception {
    Listener l = proxy(ConcurrencyMode.WAIT);
    l.byHeader(record(null, "k1", "a"));
    assertThatThrownBy(() -> l.byHeader(record(null, "k1", "changed")))
        .isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("MISMATCH")
        .hasMessageNotContaining("k1");
    assertThat(target.calls).containsExactly("a");
    assertThat(count("apply", "mismatched")).isEqualTo(1);
  }

  @Test
  void keyExpressionFunctionAndOffsetKeys() {
    Listener l = proxy(ConcurrencyMode.WAIT);
    l.byRecordKey(record("order-7", null, "a"));
    l.byRecordKey(record("order-7", null, "a"));
    l.byFunction(record(null, null, "9"));
    l.byFunction(record(null, null, "9"));
    l.byOffset(record(null, null, "o", 5));
    l.byOffset(record(null, null, "o", 5));
    // A producer's retried send gets a new offset: not recognised by an offset key.
    l.byOffset(record(null, null, "o", 6));
    assertThat(target.calls).containsExactly("a", "9", "o", "o");
  }

  @Test
  void springMessagingMessagesAreSupported() {
    Listener l = proxy(ConcurrencyMode.WAIT);
    var m = MessageBuilder.withPayload("pay").setHeader("Idempotency-Key", "s1").build();
    l.spring(m);
    l.spring(m);
    assertThat(target.calls).containsExactly("pay");
  }

  @Test
  void inFlightDuplicateWaitsForTheOwnerThenIsSkipped() throws Exception {
    Listener l = proxy(ConcurrencyMode.WAIT);
    target.entered = new CountDownLatch(1);
    target.release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> first = pool.submit(() -> call(l, "a"));
      assertThat(target.entered.await(10, TimeUnit.SECONDS)).isTrue();
      target.entered = null;
      Future<?> second = pool.submit(() -> call(l, "a"));
      // The second is parked in the engine's wait while the first still runs.
      KafkaIdempotentListenerTest.await(
          () -> target.calls.size() == 1 && !second.isDone(), "second waiting");
      target.release.countDown();
      first.get(10, TimeUnit.SECONDS);
      second.get(10, TimeUnit.SECONDS);
      assertThat(target.calls).containsExactly("a");
      assertThat(count("apply", "duplicate")).isEqualTo(1);
    } finally {
      target.release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void inFlightDuplicateUnderRejectFailsForRedelivery() throws Exception {
    Listener l = proxy(ConcurrencyMode.REJECT);
    target.entered = new CountDownLatch(1);
    target.release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> first = pool.submit(() -> call(l, "a"));
      assertThat(target.entered.await(10, TimeUnit.SECONDS)).isTrue();
      target.entered = null;
      assertThatThrownBy(() -> l.byHeader(record(null, "k", "a")))
          .isInstanceOf(IdempotencyConflictException.class);
      target.release.countDown();
      first.get(10, TimeUnit.SECONDS);
      assertThat(count("apply", "conflict")).isEqualTo(1);
    } finally {
      target.release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void badKeysAreRejectedWithTheirReason() {
    Listener l = proxy(ConcurrencyMode.WAIT);
    assertThatThrownBy(() -> l.byHeader(record(null, null, "a")))
        .isInstanceOf(MessageRejectedException.class)
        .extracting(e -> ((MessageRejectedException) e).getReason())
        .isEqualTo(MessageRejectedException.Reason.MISSING_KEY);
    assertThatThrownBy(() -> l.byHeader(record(null, "x".repeat(256), "a")))
        .extracting(e -> ((MessageRejectedException) e).getReason())
        .isEqualTo(MessageRejectedException.Reason.INVALID_KEY);
    assertThatThrownBy(() -> l.byHeader(record(null, "a\nb", "a")))
        .isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("control characters")
        .extracting(e -> ((MessageRejectedException) e).getReason())
        .isEqualTo(MessageRejectedException.Reason.INVALID_KEY);
    assertThat(target.calls).isEmpty();
  }

  @Test
  void settingsMistakesNameTheMethod() {
    Listener l = proxy(ConcurrencyMode.WAIT);
    assertThatThrownBy(() -> l.noMessage("x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("noMessage")
        .hasMessageContaining("ConsumerRecord");
    assertThatThrownBy(() -> l.noScope(record(null, "k", "a")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no-scope")
        .hasMessageContaining("scope");
  }

  /** The listener's resolved config for {@code settings} and a default wait (null: unset). */
  private IdempotencyConfig configOf(MessagingProperties.Idempotency settings, Duration wait)
      throws NoSuchMethodException {
    IdempotentListenerInterceptor.Builder builder =
        IdempotentListenerInterceptor.builder(idempotency).settings(settings);
    if (wait != null) {
      builder.waitTimeout(wait);
    }
    return builder
        .build()
        .definition(Listener.class.getMethod("byHeader", ConsumerRecord.class))
        .config;
  }

  @Test
  void aZeroWaitTimeoutAnswersAtOnceLikeRejectAsForHttp() throws Exception {
    MessagingProperties.Idempotency settings = new MessagingProperties.Idempotency();
    settings.setConcurrency(ConcurrencyMode.WAIT);
    assertThat(configOf(settings, null).getConcurrencyMode()).isEqualTo(ConcurrencyMode.WAIT);
    assertThat(configOf(settings, null).getWaitTimeout())
        .isEqualTo(IdempotencyConfig.DEFAULT_WAIT_TIMEOUT);
    // reliability.idempotency.wait-timeout
    assertThat(configOf(settings, Duration.ZERO).getConcurrencyMode())
        .isEqualTo(ConcurrencyMode.REJECT);
    IdempotencyConfig waits = configOf(settings, Duration.ofSeconds(3));
    assertThat(waits.getConcurrencyMode()).isEqualTo(ConcurrencyMode.WAIT);
    assertThat(waits.getWaitTimeout()).isEqualTo(Duration.ofSeconds(3));
    // listeners.apply.wait-timeout overrides it, with the same meaning of zero
    MessagingProperties.Listener apply = new MessagingProperties.Listener();
    apply.setWaitTimeout(Duration.ZERO);
    settings.getListeners().put("apply", apply);
    assertThat(configOf(settings, Duration.ofSeconds(3)).getConcurrencyMode())
        .isEqualTo(ConcurrencyMode.REJECT);
    apply.setWaitTimeout(Duration.ofSeconds(7));
    IdempotencyConfig own = configOf(settings, Duration.ZERO);
    assertThat(own.getConcurrencyMode()).isEqualTo(ConcurrencyMode.WAIT);
    assertThat(own.getWaitTimeout()).isEqualTo(Duration.ofSeconds(7));
    assertThatThrownBy(
            () ->
                IdempotentListenerInterceptor.builder(idempotency)
                    .waitTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("waitTimeout");
  }

  private static void call(Listener l, String value) {
    try {
      l.byHeader(record(null, "k", value));
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
