package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** An untrusted session's distrust survives export and import (issue 22, item 3). */
class CausalTokenTrustTest {

  private static final byte[] KEY =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private final List<CausalTokenCodec.Rejection> rejections = new ArrayList<>();
  private final RoutingListener listener =
      new RoutingListener() {
        @Override
        public void onTokenRejected(
            String clusterId, CausalTokenCodec.Rejection reason, String token) {
          rejections.add(reason);
        }
      };
  private final CausalTokenCodec codec =
      new CausalTokenCodec(KEY, "7001", "postgresql", LsnPosition::parse, listener);

  @Test
  void untrustedSessionWithAPositionExportsBothAndTheImportStaysUntrusted() {
    ConsistencySession s = ConsistencySession.create();
    s.advance(new CausalToken("7001", LsnPosition.parse("3/ABCDEF")));
    s.markUntrusted("7001", "position capture failed");
    String exported = codec.export(s).orElseThrow();
    assertThat(exported).startsWith("r4j2.");

    ConsistencySession imported = codec.importSession(exported);
    assertThat(imported.untrustedReason("7001")).isPresent();
    assertThat(codec.isUntrusted(imported)).isTrue();
    assertThat(imported.token("7001").orElseThrow().position())
        .isEqualTo(LsnPosition.parse("3/ABCDEF"));
    assertThat(rejections).as("a valid untrusted token is no rejection").isEmpty();
    // And it travels on: re-exported, still untrusted.
    assertThat(codec.isUntrusted(codec.importSession(codec.export(imported).orElseThrow())))
        .isTrue();
  }

  @Test
  void sessionUntrustedByARejectedTokenExportsItsDistrustWithoutAPosition() {
    ConsistencySession s = codec.importSession("garbage");
    assertThat(rejections).containsExactly(CausalTokenCodec.Rejection.MALFORMED);
    String exported = codec.export(s).orElseThrow();
    ConsistencySession imported = codec.importSession(exported);
    assertThat(imported.untrustedReason("7001")).isPresent();
    assertThat(imported.token("7001")).isEmpty();
    assertThat(rejections).hasSize(1);
  }

  @Test
  void trustedSessionsStillExportVersionOneAndVersionOneTokensImportAsTrusted() {
    ConsistencySession s = ConsistencySession.create();
    s.advance(new CausalToken("7001", LsnPosition.parse("0/10")));
    String exported = codec.export(s).orElseThrow();
    assertThat(exported).startsWith("r4j1.");
    // A version-1 token as an older instance signs it, built here by hand.
    String old = signed("r4j1.", "7001|postgresql|0/20");
    ConsistencySession imported = codec.importSession(old);
    assertThat(imported.untrustedReason("7001")).isEmpty();
    assertThat(imported.token("7001").orElseThrow().position())
        .isEqualTo(LsnPosition.parse("0/20"));
    assertThat(rejections).isEmpty();
  }

  @Test
  void theFlagCannotBeStrippedOrForged() {
    ConsistencySession s = ConsistencySession.create();
    s.advance(new CausalToken("7001", LsnPosition.parse("0/10")));
    s.markUntrusted("7001", "x");
    String exported = codec.export(s).orElseThrow();
    // Same payload and signature, announced as version 1: the payload has four fields.
    ConsistencySession downgraded = codec.importSession("r4j1." + exported.substring(5));
    assertThat(downgraded.untrustedReason("7001")).isPresent();
    assertThat(downgraded.token("7001")).isEmpty();
    // The untrusted flag removed from the payload: the signature no longer matches.
    String body = exported.substring(5, exported.indexOf('.', 5));
    String payload =
        new String(Base64.getUrlDecoder().decode(body), StandardCharsets.UTF_8).replace("|u", "|");
    String stripped =
        "r4j2."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8))
            + exported.substring(exported.indexOf('.', 5));
    assertThat(codec.importSession(stripped).untrustedReason("7001")).isPresent();
    // A correctly signed version-2 token with an unknown flag is malformed.
    ConsistencySession unknownFlag = codec.importSession(signed("r4j2.", "7001|postgresql|0/10|t"));
    assertThat(unknownFlag.untrustedReason("7001")).isPresent();
    assertThat(unknownFlag.token("7001")).isEmpty();
    assertThat(rejections)
        .containsExactly(
            CausalTokenCodec.Rejection.MALFORMED,
            CausalTokenCodec.Rejection.BAD_SIGNATURE,
            CausalTokenCodec.Rejection.MALFORMED);
  }

  private static String signed(String prefix, String text) {
    try {
      byte[] payload = text.getBytes(StandardCharsets.UTF_8);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      return prefix + b64.encodeToString(payload) + "." + b64.encodeToString(mac.doFinal(payload));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
