package io.github.reliability4j.examples.plain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.test.postgres.PostgresCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** The plain-Java example against a real primary and streaming replica. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlainJavaExampleTest {

  private PostgresCluster cluster;
  private HikariDataSource primaryPool;
  private HikariDataSource replicaPool;
  private PlainJavaExample app;

  @BeforeAll
  void start() throws Exception {
    cluster = PostgresCluster.start(1);
    primaryPool = pool(cluster.primary().jdbcUrl());
    replicaPool = pool(cluster.replica(0).jdbcUrl());
    app = new PlainJavaExample(primaryPool, replicaPool);
    app.createTables();
    cluster.awaitReplicasCaughtUp(Duration.ofSeconds(30));
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
    if (replicaPool != null) {
      replicaPool.close();
    }
    if (primaryPool != null) {
      primaryPool.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aRetryReplaysTheFirstCharge() throws Exception {
    PlainJavaExample.Charge first = app.charge("k-retry", "acct-retry", 1000);
    PlainJavaExample.Charge retry = app.charge("k-retry", "acct-retry", 1000);

    assertThat(first.replayed()).isFalse();
    assertThat(retry.replayed()).isTrue();
    assertThat(retry.paymentId()).isEqualTo(first.paymentId());
    assertThat(app.paymentsOf("acct-retry")).isEqualTo(1);
  }

  @Test
  void concurrentRetriesChargeOnceAndAllGetTheSamePayment() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<PlainJavaExample.Charge>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  return app.charge("k-race", "acct-race", 700);
                }));
      }
      go.countDown();
      Set<Long> ids = new TreeSet<>();
      int replayed = 0;
      for (Future<PlainJavaExample.Charge> f : futures) {
        PlainJavaExample.Charge charge = f.get();
        ids.add(charge.paymentId());
        replayed += charge.replayed() ? 1 : 0;
      }
      assertThat(ids).hasSize(1);
      assertThat(replayed).isEqualTo(threads - 1);
      assertThat(app.paymentsOf("acct-race")).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theSameKeyWithAnotherAmountIsRejectedAndChargesNothing() throws Exception {
    app.charge("k-mismatch", "acct-mismatch", 500);

    assertThatThrownBy(() -> app.charge("k-mismatch", "acct-mismatch", 999))
        .isInstanceOf(IdempotencyKeyMismatchException.class);
    assertThat(app.paymentsOf("acct-mismatch")).isEqualTo(1);
  }

  @Test
  void theSessionReadsItsOwnWriteWhileTheReplicaLags() throws Exception {
    ConsistencySession session = ConsistencySession.create();
    app.saveProfile(session, "bob", "Bob v1");
    cluster.awaitReplicasCaughtUp(Duration.ofSeconds(30));
    app.awaitReplicasAdmitted(Duration.ofSeconds(30));
    cluster.replica(0).pauseReplay();
    try {
      app.saveProfile(session, "bob", "Bob v2");

      assertThat(app.readProfile(session, "bob")).contains("Bob v2");
      // A session without the write may read the lagging replica: the old value.
      assertThat(app.readProfile(ConsistencySession.create(), "bob")).contains("Bob v1");
      // The session survives a trip through a header, e.g. to the next HTTP request.
      String exported = app.exportSession(session).orElseThrow();
      assertThat(exported).startsWith("r4j1.");
    } finally {
      cluster.replica(0).resumeReplay();
    }
  }

  // Last: a restarted replica is readmitted to reads only after several good lag samples, which
  // would turn the stale reads the other tests expect into (fresh) primary reads.
  @Test
  @Order(Integer.MAX_VALUE)
  void aStoppedReplicaDegradesReadinessButNotLiveness() {
    assertThat(app.healthNow(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.PASS);
    cluster.replica(0).stop();
    try {
      assertThat(app.healthNow(ProbeKind.READINESS).status()).isEqualTo(HealthStatus.WARN);
      assertThat(app.healthNow(ProbeKind.LIVENESS).status()).isEqualTo(HealthStatus.PASS);
    } finally {
      cluster.replica(0).start();
    }
  }

  @Test
  void mainRunsEndToEnd() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PlainJavaExample.run(cluster, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);

    assertThat(out).contains("(replayed=true)").contains("read with the session: Alice;");
    assertThat(out).contains("without: (not yet on replica)");
    assertThat(out).contains("readiness: {\"status\":\"pass\"");
  }

  private static HikariDataSource pool(String url) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(10);
    config.setConnectionTimeout(2000);
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }
}
