package io.github.reliability4j.core.idempotency.internal;

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
 * <p>Thread-safe: {@link #ofLengthPrefixed} reuses one {@link MessageDigest} per thread, the other
 * methods create their own. Not API.
 */
public final class Sha256 {

  private static final ThreadLocal<MessageDigest> DIGESTS =
      ThreadLocal.withInitial(Sha256::newDigest);

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
    // One digest per thread: store keys are hashed on every store call, and a fresh
    // MessageDigest (provider lookup, state arrays) costs more than the hash of a short key.
    // digest() resets it (reset() too, should an earlier call have died half-way), and nothing
    // here can call back into this method.
    MessageDigest md = DIGESTS.get();
    md.reset();
    for (String part : parts) {
      if (part == null) {
        updateInt(md, -1);
        continue;
      }
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      updateInt(md, bytes.length);
      md.update(bytes);
    }
    return md.digest();
  }

  private static void updateInt(MessageDigest md, int n) {
    md.update((byte) (n >>> 24));
    md.update((byte) (n >>> 16));
    md.update((byte) (n >>> 8));
    md.update((byte) n);
  }
}
