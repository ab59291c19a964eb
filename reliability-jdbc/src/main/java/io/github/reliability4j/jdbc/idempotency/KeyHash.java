package io.github.reliability4j.jdbc.idempotency;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The primary key of a record: lowercase hex SHA-256 over the length-prefixed UTF-8 components.
 * Length prefixes make ("a", "bc") and ("ab", "c") hash differently; a fixed 64-character key fits
 * every dialect's index limits whatever the component lengths.
 */
final class KeyHash {

  private KeyHash() {}

  static String of(String scope, String operation, String clientKey) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
    for (String part : new String[] {scope, operation, clientKey}) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      digest.update(bytes);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
