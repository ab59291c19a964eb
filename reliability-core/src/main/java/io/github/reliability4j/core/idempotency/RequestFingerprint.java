package io.github.reliability4j.core.idempotency;

import io.github.reliability4j.core.idempotency.internal.Sha256;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * SHA-256 digest of a canonical form of the request, used to detect a key reused with a different
 * payload. It is always checked: every claim carries one.
 *
 * <p>The caller decides what the canonical form covers; it must include everything that makes two
 * requests different operations (method, path, query string, body, tenant...). {@link
 * #ofParts(String...)} encodes each part with a length prefix, so {@code ("ab", "c")} and {@code
 * ("a", "bc")} differ, and a {@code null} part differs from an empty one.
 *
 * <p>Immutable and thread-safe. Stores persist {@link #hex()} (64 lowercase hex characters) and
 * rebuild it with {@link #fromHex(String)}.
 */
public final class RequestFingerprint {

  private static final HexFormat HEX = HexFormat.of();
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final byte[] digest;
  // The digest as four words, so that equals (on every duplicate lookup) compares 4 longs.
  private final long w0;
  private final long w1;
  private final long w2;
  private final long w3;

  private RequestFingerprint(byte[] digest) {
    if (digest.length != 32) {
      throw new IllegalStateException("a SHA-256 digest has 32 bytes, not " + digest.length);
    }
    this.digest = digest;
    this.w0 = (long) LONGS.get(digest, 0);
    this.w1 = (long) LONGS.get(digest, 8);
    this.w2 = (long) LONGS.get(digest, 16);
    this.w3 = (long) LONGS.get(digest, 24);
  }

  /**
   * Fingerprint of raw canonical bytes.
   *
   * @throws NullPointerException if {@code canonicalForm} is null
   */
  public static RequestFingerprint sha256(byte[] canonicalForm) {
    Objects.requireNonNull(canonicalForm, "canonicalForm");
    return new RequestFingerprint(Sha256.digest(canonicalForm));
  }

  /**
   * Fingerprint of a canonical string, encoded as UTF-8.
   *
   * @throws NullPointerException if {@code canonicalForm} is null
   */
  public static RequestFingerprint sha256(String canonicalForm) {
    Objects.requireNonNull(canonicalForm, "canonicalForm");
    return sha256(canonicalForm.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Fingerprint of an ordered list of parts; each is length-prefixed so boundaries are unambiguous.
   * A {@code null} part is allowed and differs from {@code ""}.
   *
   * @throws NullPointerException if the array itself is null
   */
  public static RequestFingerprint ofParts(String... parts) {
    Objects.requireNonNull(parts, "parts");
    return new RequestFingerprint(Sha256.ofLengthPrefixed(parts));
  }

  /**
   * Rebuilds a fingerprint from {@link #hex()}.
   *
   * @throws IllegalArgumentException if {@code hex} is not 64 hexadecimal characters
   */
  public static RequestFingerprint fromHex(String hex) {
    Objects.requireNonNull(hex, "hex");
    if (hex.length() != 64) {
      throw new IllegalArgumentException(
          "fingerprint hex must be 64 hex characters, but had " + hex.length());
    }
    try {
      return new RequestFingerprint(HEX.parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("fingerprint hex must be hexadecimal", e);
    }
  }

  /** The 32-byte digest (a copy). */
  public byte[] bytes() {
    return digest.clone();
  }

  /** The digest as 64 lowercase hexadecimal characters. */
  public String hex() {
    return HEX.formatHex(digest);
  }

  /**
   * Equal digests. Takes the same time whichever bytes differ (the four words are combined without
   * branching), like {@link java.security.MessageDigest#isEqual}, at a fraction of its cost: this
   * runs on every duplicate lookup.
   */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RequestFingerprint)) {
      return false;
    }
    RequestFingerprint that = (RequestFingerprint) o;
    return ((w0 ^ that.w0) | (w1 ^ that.w1) | (w2 ^ that.w2) | (w3 ^ that.w3)) == 0;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(digest);
  }

  @Override
  public String toString() {
    return "RequestFingerprint[" + hex() + "]";
  }
}
