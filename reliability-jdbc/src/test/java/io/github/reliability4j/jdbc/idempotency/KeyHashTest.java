package io.github.reliability4j.jdbc.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.RequestFingerprint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/**
 * The key hash is one model with {@link RequestFingerprint#ofParts}, and its bytes are those the
 * store wrote before the two were merged, so stored rows keep matching their keys.
 */
class KeyHashTest {

  /** The encoding of the 0.1.0 store, kept here as the reference model. */
  private static String storedFormatOf010(String... parts) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (String part : parts) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      digest.update(bytes);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  @Test
  void goldenValueOfTheStoredFormat() {
    // sha256(be32(8) "tenant-1" be32(14) "create-payment" be32(9) "key-é-42"), computed outside
    // the JVM: a change of the encoding would silently orphan every stored row.
    assertThat(KeyHash.of("tenant-1", "create-payment", "key-\u00e9-42"))
        .isEqualTo("c6e47a1368713ba185b4b9d47301d0453ec45746c4a375763dc71ff8e1fffd8a");
  }

  @Property(tries = 300)
  void sameBytesAsThe010StoreAndAsTheRequestFingerprint(
      @ForAll @StringLength(max = 40) String scope,
      @ForAll @StringLength(max = 40) String operation,
      @ForAll @StringLength(max = 40) String clientKey)
      throws Exception {
    String hash = KeyHash.of(scope, operation, clientKey);
    assertThat(hash).isEqualTo(storedFormatOf010(scope, operation, clientKey));
    assertThat(hash).isEqualTo(RequestFingerprint.ofParts(scope, operation, clientKey).hex());
    assertThat(hash).hasSize(64).matches("[0-9a-f]{64}");
  }

  @Test
  void componentBoundariesMatter() {
    assertThat(KeyHash.of("a", "bc", "d")).isNotEqualTo(KeyHash.of("ab", "c", "d"));
    assertThat(KeyHash.of("", "", "x")).isNotEqualTo(KeyHash.of("", "x", ""));
  }
}
