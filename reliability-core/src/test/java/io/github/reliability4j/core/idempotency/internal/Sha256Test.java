package io.github.reliability4j.core.idempotency.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.RequestFingerprint;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The length-prefixed encoding is what stored fingerprints and key hashes are made of: the digests
 * below were computed outside Java (Python's hashlib over the documented byte layout) and must
 * never change.
 */
class Sha256Test {

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Test
  void lengthPrefixedDigestsMatchTheDocumentedByteLayout() {
    assertThat(hex(Sha256.ofLengthPrefixed("POST", "/orders", "é")))
        .isEqualTo("bdcdac9d338b67f939b1646eed6fd6d0831f9170df1fde5c87e817f22a74e518");
    assertThat(hex(Sha256.ofLengthPrefixed(null, "")))
        .isEqualTo("72a4fa3544e43a836ffcb268ce06ccdbc55d44d5e6b1b1c19216a53ea98301fd");
    assertThat(hex(Sha256.ofLengthPrefixed("ab", "c")))
        .isEqualTo("f2939f903016e5bb29b1e4a61cdbd376220ca03a24180b39995f2d50f2e0a647");
    assertThat(hex(Sha256.ofLengthPrefixed("a", "bc")))
        .isEqualTo("b534ce16ac9c8b36823f39a395ce8e0e3c7ad9605b82b5444f18cadacd217a5d");
  }

  @Test
  void requestFingerprintsKeepTheirBytes() {
    assertThat(RequestFingerprint.ofParts("POST", "/orders", "é").hex())
        .isEqualTo("bdcdac9d338b67f939b1646eed6fd6d0831f9170df1fde5c87e817f22a74e518");
    assertThat(RequestFingerprint.sha256("abc").hex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(hex(Sha256.digest(new byte[0])))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}
