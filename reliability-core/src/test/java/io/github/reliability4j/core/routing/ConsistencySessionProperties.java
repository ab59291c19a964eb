package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

class ConsistencySessionProperties {

  @Property(tries = 200)
  void mergeIsMonotonicAndEndsAtTheMaximum(
      @ForAll @Size(min = 1, max = 40) List<@LongRange(min = 0, max = 1L << 40) Long> lsns) {
    ConsistencySession session = ConsistencySession.create();
    long seenMax = -1;
    for (long lsn : lsns) {
      session.advance(new CausalToken("c", LsnPosition.of(lsn)));
      long now = ((LsnPosition) session.token("c").orElseThrow().position()).value();
      assertThat(now).isGreaterThanOrEqualTo(seenMax).isGreaterThanOrEqualTo(lsn);
      seenMax = now;
    }
    assertThat(seenMax).isEqualTo(Collections.max(lsns));
  }

  @Property(tries = 50)
  void mergeOrderDoesNotMatter(
      @ForAll @Size(min = 1, max = 30) List<@LongRange(min = 0, max = 1L << 40) Long> lsns) {
    List<Long> shuffled = new ArrayList<>(lsns);
    Collections.shuffle(shuffled);
    ConsistencySession a = ConsistencySession.create();
    ConsistencySession b = ConsistencySession.create();
    lsns.forEach(l -> a.advance(new CausalToken("c", LsnPosition.of(l))));
    shuffled.forEach(l -> b.advance(new CausalToken("c", LsnPosition.of(l))));
    assertThat(a.token("c")).isEqualTo(b.token("c"));
  }

  @Property(tries = 20)
  void concurrentMergesNeverLoseTheMaximum(
      @ForAll @Size(min = 50, max = 200) List<@LongRange(min = 0, max = 1L << 40) Long> lsns)
      throws Exception {
    ConsistencySession session = ConsistencySession.create();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    try {
      for (long l : lsns) {
        pool.execute(
            () -> {
              try {
                start.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              session.advance(new CausalToken("c", LsnPosition.of(l)));
            });
      }
      start.countDown();
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      pool.shutdownNow();
    }
    assertThat(session.token("c").orElseThrow().position())
        .isEqualTo(LsnPosition.of(Collections.max(lsns)));
  }

  @Property(tries = 50)
  void clustersAreIndependent(
      @ForAll @LongRange(min = 0, max = 1000) long a,
      @ForAll @LongRange(min = 0, max = 1000) long b) {
    ConsistencySession s = ConsistencySession.create();
    s.advance(new CausalToken("one", LsnPosition.of(a)));
    s.advance(new CausalToken("two", LsnPosition.of(b)));
    assertThat(s.token("one").orElseThrow().position()).isEqualTo(LsnPosition.of(a));
    assertThat(s.token("two").orElseThrow().position()).isEqualTo(LsnPosition.of(b));
    assertThat(s.token("three")).isEmpty();
  }
}
