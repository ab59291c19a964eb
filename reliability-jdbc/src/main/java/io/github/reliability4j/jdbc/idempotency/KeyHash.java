package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.RequestFingerprint;

/**
 * The primary key of a record: the lowercase hex of {@link RequestFingerprint#ofParts(String...)
 * RequestFingerprint.ofParts(scope, operation, clientKey)}, i.e. SHA-256 over each component as a
 * 4-byte big-endian UTF-8 length followed by its UTF-8 bytes. One model with the request
 * fingerprint: the same length-prefixed encoding, so ("a", "bc") and ("ab", "c") hash differently,
 * and a fixed 64-character key fits every dialect's index limits whatever the component lengths.
 * The bytes are those written by every earlier version of the store (pinned by a golden value in
 * {@code KeyHashTest}), so existing rows keep matching their keys.
 */
final class KeyHash {

  private KeyHash() {}

  static String of(String scope, String operation, String clientKey) {
    return RequestFingerprint.ofParts(scope, operation, clientKey).hex();
  }

  /** The same digest as {@link #of}, as the 32 raw bytes ({@link RowFormat#V2_BINARY}). */
  static byte[] digest(String scope, String operation, String clientKey) {
    return RequestFingerprint.ofParts(scope, operation, clientKey).bytes();
  }
}
