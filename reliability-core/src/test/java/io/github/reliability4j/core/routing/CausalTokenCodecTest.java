package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CausalTokenCodecTest {

  private static final byte[] KEY =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private final List<String> rejections = new ArrayList<>();
  private final RoutingListener listener =
      new RoutingListener() {
        @Override
        public void onTokenRejected(
            String clusterId, CausalTokenCodec.Rejection reason, String token) {
          rejections.add(clusterId + ":" + reason);
        }
      };

  private CausalTokenCodec codec(String cluster, byte[] key) {
    return new CausalTokenCodec(key, cluster, "postgresql", LsnPosition::parse, listener);
  }

  @Test
  void roundTripsAPosition() {
    CausalTokenCodec codec = codec("7001", KEY);
    ConsistencySession s = ConsistencySession.create();
    s.advance(new CausalToken("7001", LsnPosition.parse("3/ABCDEF")));
    String exported = codec.export(s).orElseThrow();
    assertThat(exported).startsWith("r4j1.");
    ConsistencySession imported = codec.importSession(exported);
    assertThat(imported.token("7001").orElseThrow().position())
        .isEqualTo(LsnPosition.parse("3/ABCDEF"));
    assertThat(imported.untrustedReason("7001")).isEmpty();
    assertThat(rejections).isEmpty();
  }

  @Test
  void emptySessionExportsNothingAndNullOrEmptyImportIsNoToken() {
    CausalTokenCodec codec = codec("7001", KEY);
    assertThat(codec.export(ConsistencySession.create())).isEmpty();
    assertThat(codec.importInto(ConsistencySession.create(), null)).isEmpty();
    ConsistencySession s = codec.importSession("");
    assertThat(s.token("7001")).isEmpty();
    assertThat(s.untrustedReason("7001")).isEmpty();
    assertThat(rejections).isEmpty();
  }

  @Test
  void garbageIsRejectedWithoutExceptionAndMarksTheSessionUntrusted() {
    CausalTokenCodec codec = codec("7001", KEY);
    for (String garbage :
        new String[] {"hello", "r4j1.", "r4j1.a.b.c", "r4j1.!!!.???", "r4j1..", "\u0000"}) {
      ConsistencySession s = ConsistencySession.create();
      Optional<CausalTokenCodec.Rejection> r = codec.importInto(s, garbage);
      assertThat(r).as(garbage).isPresent();
      assertThat(s.untrustedReason("7001")).as(garbage).isPresent();
      assertThat(s.token("7001")).isEmpty();
    }
    assertThat(rejections).hasSize(6).allMatch(x -> x.startsWith("7001:"));
  }

  @Test
  void tamperedTokenFailsTheSignature() {
    CausalTokenCodec codec = codec("7001", KEY);
    ConsistencySession s = ConsistencySession.create();
    s.advance(new CausalToken("7001", LsnPosition.parse("0/10")));
    String exported = codec.export(s).orElseThrow();
    String payload = "7001|postgresql|FF/FFFFFFFF";
    String forged =
        "r4j1."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8))
            + exported.substring(exported.lastIndexOf('.'));
    assertThat(codec.importInto(ConsistencySession.create(), forged))
        .contains(CausalTokenCodec.Rejection.BAD_SIGNATURE);
  }

  @Test
  void tokenOfAnotherClusterOrKeyIsRejected() {
    CausalTokenCodec other = codec("9999", KEY);
    ConsistencySession s = ConsistencySession.create();
    s.advance(new CausalToken("9999", LsnPosition.parse("0/10")));
    String foreign = other.export(s).orElseThrow();
    assertThat(codec("7001", KEY).importInto(ConsistencySession.create(), foreign))
        .contains(CausalTokenCodec.Rejection.FOREIGN_CLUSTER);

    byte[] otherKey = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);
    s.advance(new CausalToken("7001", LsnPosition.parse("0/10")));
    String signedElsewhere = codec("7001", otherKey).export(s).orElseThrow();
    assertThat(codec("7001", KEY).importInto(ConsistencySession.create(), signedElsewhere))
        .contains(CausalTokenCodec.Rejection.BAD_SIGNATURE);
  }

  @Test
  void aThrowingListenerDoesNotFailTheImport() {
    CausalTokenCodec codec =
        new CausalTokenCodec(
            KEY,
            "7001",
            "postgresql",
            LsnPosition::parse,
            new RoutingListener() {
              @Override
              public void onTokenRejected(
                  String clusterId, CausalTokenCodec.Rejection reason, String token) {
                throw new IllegalStateException("boom");
              }
            });
    assertThat(codec.importSession("garbage").untrustedReason("7001")).contains("MALFORMED");
  }

  @Test
  void shortKeysAreRefused() {
    assertThatThrownBy(() -> codec("c", new byte[15]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tokenKey must be at least 16 bytes, but was 15");
  }
}
