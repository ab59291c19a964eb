package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class IdempotentConsumerTest {

  record Message(String id, String payload) {}

  private final TestClock clock = new TestClock();
  private final TestStore store = new TestStore(clock);
  private final Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();

  private IdempotentConsumer<Message> consumer(Idempotency idem, Consumer<Message> handler) {
    return IdempotentConsumer.builder(
            idem,
            "orders-subscription",
            "apply-order",
            Message::id,
            (Message m) -> RequestFingerprint.sha256(m.payload()),
            handler)
        .build();
  }

  private void count(Message m) {
    processed.computeIfAbsent(m.id(), k -> new AtomicInteger()).incrementAndGet();
  }

  @Test
  void aRedeliveredMessageIsAcknowledgedWithoutBeingProcessedAgain() {
    IdempotentConsumer<Message> c = consumer(Idempotency.of(store), this::count);
    Message m = new Message("m-1", "{\"qty\":1}");
    assertThat(c.process(m)).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(c.process(m)).isEqualTo(IdempotencyResult.Status.REPLAYED);
    c.accept(m);
    c.process(new Message("m-2", "{\"qty\":1}"));
    assertThat(processed.get("m-1")).hasValue(1);
    assertThat(processed.get("m-2")).hasValue(1);
  }

  @Test
  void aFailedMessageIsProcessedAgainOnRedelivery() {
    AtomicInteger attempts = new AtomicInteger();
    IdempotentConsumer<Message> c =
        consumer(
            Idempotency.of(store),
            m -> {
              if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("downstream down");
              }
              count(m);
            });
    Message m = new Message("m-1", "x");
    assertThatThrownBy(() -> c.process(m)).hasMessage("downstream down");
    assertThat(c.process(m)).isEqualTo(IdempotencyResult.Status.STORED);
    assertThat(c.process(m)).isEqualTo(IdempotencyResult.Status.REPLAYED);
    assertThat(processed.get("m-1")).hasValue(1);
  }

  @Test
  void theSameIdWithAnotherPayloadIsAMismatch() {
    IdempotentConsumer<Message> c = consumer(Idempotency.of(store), this::count);
    c.process(new Message("m-1", "a"));
    assertThatThrownBy(() -> c.process(new Message("m-1", "b")))
        .isInstanceOf(IdempotencyKeyMismatchException.class);
  }

  @Test
  void badMessagesFailClearly() {
    IdempotentConsumer<Message> c = consumer(Idempotency.of(store), this::count);
    assertThatThrownBy(() -> c.process(null)).hasMessage("message");
    assertThatThrownBy(() -> c.process(new Message(null, "x")))
        .hasMessage("messageKey returned null");
    assertThatThrownBy(() -> c.process(new Message("", "x")))
        .isInstanceOf(InvalidIdempotencyKeyException.class);
    assertThatThrownBy(
            () ->
                IdempotentConsumer.<Message>builder(
                    Idempotency.of(store), "scope", "op", Message::id, null, this::count))
        .hasMessage("fingerprint");
    assertThat(store.calls).hasValue(0);
    assertThat(processed).isEmpty();
  }

  @Test
  void concurrentDeliveriesOfOneMessageAreProcessedOnce() throws Exception {
    Idempotency idem =
        Idempotency.of(
            store,
            IdempotencyConfig.custom()
                .concurrencyMode(ConcurrencyMode.WAIT)
                .waitTimeout(Duration.ofMinutes(1))
                .build());
    IdempotentConsumer<Message> c = consumer(idem, this::count);
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<IdempotencyResult.Status>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return c.process(new Message("m-1", "x"));
                }));
      }
      go.countDown();
      int stored = 0;
      for (Future<IdempotencyResult.Status> f : results) {
        if (f.get(1, TimeUnit.MINUTES) == IdempotencyResult.Status.STORED) {
          stored++;
        }
      }
      assertThat(stored).isEqualTo(1);
      assertThat(processed.get("m-1")).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }
}
