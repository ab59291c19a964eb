package io.github.reliability4j.redis.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.ClaimResult;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.lettuce.core.cluster.RedisClusterClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A Redis Cluster of three masters of this test (free ports, temporary directories). */
class RedisClusterTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final List<RedisServer> masters = new ArrayList<>();
  private static RedisClusterClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    for (int i = 0; i < 3; i++) {
      masters.add(
          RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"));
    }
    List<String> args = new ArrayList<>(List.of("--cluster", "create"));
    for (RedisServer m : masters) {
      args.add("127.0.0.1:" + m.port());
    }
    args.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    String out = masters.get(0).cli(args.toArray(String[]::new));
    assertThat(out).contains("All 16384 slots covered");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (RedisServer m : masters) {
      while (!m.cli("CLUSTER", "INFO").contains("cluster_state:ok")) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("cluster not ok: " + m.cli("CLUSTER", "INFO"));
        }
        Thread.sleep(50); // poll interval inside a deadline
      }
    }
    client = RedisClusterClient.create("redis://127.0.0.1:" + masters.get(0).port());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (client != null) {
      client.shutdown();
    }
    for (RedisServer m : masters) {
      m.close();
    }
  }

  private static IdempotencyKey key(String k) {
    return IdempotencyKey.of("scope", "op", k);
  }

  private static RequestFingerprint fp(String s) {
    return RequestFingerprint.sha256(s);
  }

  private static String nodeId(RedisServer m) throws Exception {
    return m.cli("CLUSTER", "MYID");
  }

  private static RedisServer ownerOf(int slot) throws Exception {
    for (RedisServer m : masters) {
      String myId = nodeId(m);
      for (String line : m.cli("CLUSTER", "NODES").split("\n")) {
        String[] f = line.split(" ");
        if (f[0].equals(myId)) {
          for (int i = 8; i < f.length; i++) {
            String[] range = f[i].split("-");
            int lo = Integer.parseInt(range[0]);
            int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
            if (slot >= lo && slot <= hi) {
              return m;
            }
          }
        }
      }
    }
    throw new AssertionError("no owner for slot " + slot);
  }

  @Test
  void storeWorksAcrossTheClusterAndRejectsWaitForReplicas() {
    assertThatThrownBy(
            () ->
                RedisIdempotencyStore.create(
                    client,
                    RedisIdempotencyStoreConfig.custom()
                        .waitForReplicas(1, Duration.ofSeconds(1))
                        .build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("waitForReplicas");
    try (RedisIdempotencyStore store =
        RedisIdempotencyStore.create(client, RedisIdempotencyStoreConfig.ofDefaults())) {
      for (int i = 0; i < 100; i++) {
        IdempotencyKey k = key("spread-" + i + "-" + UUID.randomUUID());
        ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(k, fp("a"), LEASE);
        assertThat(store.claim(k, fp("a"), LEASE)).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(store.complete(k, a.ownerToken(), StoredOutcome.ok("v" + i), LEASE)).isTrue();
        assertThat(((ClaimResult.Completed) store.claim(k, fp("a"), LEASE)).outcome())
            .isEqualTo(StoredOutcome.ok("v" + i));
      }
    }
  }

  @Test
  void keyClaimedOnOneMasterIsFoundAfterItsSlotMovedToAnother() throws Exception {
    try (RedisIdempotencyStore store =
        RedisIdempotencyStore.create(client, RedisIdempotencyStoreConfig.ofDefaults())) {
      IdempotencyKey k = key("resharded-" + UUID.randomUUID());
      ClaimResult.Acquired a = (ClaimResult.Acquired) store.claim(k, fp("a"), LEASE);
      String redisKey = new String(store.redisKey(k), StandardCharsets.US_ASCII);
      int slot = Integer.parseInt(masters.get(0).cli("CLUSTER", "KEYSLOT", redisKey));
      RedisServer source = ownerOf(slot);
      RedisServer target = masters.get((masters.indexOf(source) + 1) % masters.size());
      String sourceId = nodeId(source);
      String targetId = nodeId(target);
      assertThat(source.cli("EXISTS", redisKey)).isEqualTo("1");

      // Move the slot as redis-cli --cluster reshard does: IMPORTING, MIGRATING, MIGRATE, NODE.
      assertThat(target.cli("CLUSTER", "SETSLOT", "" + slot, "IMPORTING", sourceId))
          .isEqualTo("OK");
      assertThat(source.cli("CLUSTER", "SETSLOT", "" + slot, "MIGRATING", targetId))
          .isEqualTo("OK");
      assertThat(source.cli("MIGRATE", "127.0.0.1", "" + target.port(), redisKey, "0", "5000"))
          .isEqualTo("OK");
      for (RedisServer m : masters) {
        assertThat(m.cli("CLUSTER", "SETSLOT", "" + slot, "NODE", targetId)).isEqualTo("OK");
      }
      assertThat(source.cli("EXISTS", redisKey)).startsWith("MOVED " + slot);
      assertThat(target.cli("EXISTS", redisKey)).isEqualTo("1");

      // The client follows the MOVED redirection; the record and its fencing survive the move.
      assertThat(store.find(k).orElseThrow().ownerToken()).isEqualTo(a.ownerToken());
      assertThat(store.claim(k, fp("a"), LEASE)).isInstanceOf(ClaimResult.InProgress.class);
      assertThat(store.complete(k, "not-the-owner", StoredOutcome.ok("x"), LEASE)).isFalse();
      assertThat(store.complete(k, a.ownerToken(), StoredOutcome.ok("moved"), LEASE)).isTrue();
      assertThat(store.find(k).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
      assertThat(target.cli("GETRANGE", redisKey, "1", "1")).isEqualTo("C");
    }
  }
}
