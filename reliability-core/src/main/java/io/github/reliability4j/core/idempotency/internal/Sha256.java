package io.github.reliability4j.core.idempotency.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The one SHA-256 helper of reliability4j: request fingerprints, store key hashes and scope hashes
 * all digest through it, so the length-prefixed encoding below is written once.
 *
 * <p>Length-prefixed encoding: each part is its UTF-8 bytes preceded by their count as a 4-byte
 * big-endian int; a {@code null} part is the count {@code -1} and no bytes. So {@code ("ab", "c")},
 * {@code ("a", "bc")}, {@code (null)} and {@code ("")} all digest differently. Stored key hashes
 * and fingerprints depend on these exact bytes: never change them without a migration.
 *
 * <p>Stateless and thread-safe (each call uses its own {@link MessageDigest}). Not API.
 */
public final class Sha256 {

  private Sha256() {}

  /** A new SHA-256 digest; every Java platform provides one. */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** The 32-byte SHA-256 of {@code bytes}. */
  public static byte[] digest(byte[] bytes) {
    return newDigest().digest(bytes);
  }

  /** The 32-byte SHA-256 of the length-prefixed encoding of {@code parts} (see the class doc). */
  public static byte[] ofLengthPrefixed(String... parts) {
    MessageDigest md = newDigest();
    ByteBuffer length = ByteBuffer.allocate(4);
    for (String part : parts) {
      length.clear();
      if (part == null) {
        md.update(length.putInt(-1).array());
        continue;
      }
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      md.update(length.putInt(bytes.length).array());
      md.update(bytes);
    }
    return md.digest();
  }
}
