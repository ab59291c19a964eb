package io.github.reliability4j.core.idempotency;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of an executed action as it is stored and replayed: an HTTP-like status code, a small
 * metadata map (headers, content type) and body bytes.
 *
 * <p>Status codes follow HTTP conventions because the default {@link OutcomePolicy} classifies by
 * them: 2xx/3xx success, 4xx client error, 5xx server error. Plain Java results stored through an
 * {@link OutcomeCodec} use {@link #STATUS_OK}; a {@code null} result uses {@link
 * #STATUS_NO_CONTENT}. Metadata keys keep their insertion order; a layer that needs multi-valued
 * headers joins them itself.
 *
 * <p>Immutable and thread-safe: the body is copied on the way in and on the way out.
 */
public final class StoredOutcome {

  /** Status used for a non-null value stored through an {@link OutcomeCodec}. */
  public static final int STATUS_OK = 200;

  /** Status used for a {@code null} value stored through an {@link OutcomeCodec}. */
  public static final int STATUS_NO_CONTENT = 204;

  private static final byte[] EMPTY = new byte[0];

  private final int status;
  private final Map<String, String> metadata;
  private final byte[] body;

  /**
   * What {@link Idempotency#execute(IdempotencyKey, RequestFingerprint,
   * java.util.function.Supplier)} returns when it replays this outcome, built on the first replay.
   * A benign race (like {@link String#hashCode}): two first replays may each build one; both are
   * immutable and equal.
   */
  private IdempotencyResult<StoredOutcome> replayed;

  private StoredOutcome(int status, Map<String, String> metadata, byte[] body) {
    this.status = status;
    this.metadata = metadata;
    this.body = body;
  }

  /**
   * Creates an outcome.
   *
   * @param status a result code in 0..999
   * @param metadata small string map, copied; no null keys or values
   * @param body body bytes, copied
   * @throws IllegalArgumentException if {@code status} is outside 0..999
   * @throws NullPointerException if {@code metadata}, {@code body} or a metadata entry is null
   */
  public static StoredOutcome of(int status, Map<String, String> metadata, byte[] body) {
    if (status < 0 || status > 999) {
      throw new IllegalArgumentException("status must be in 0..999, but was " + status);
    }
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(body, "body");
    Map<String, String> copy = new LinkedHashMap<>();
    metadata.forEach(
        (k, v) -> {
          Objects.requireNonNull(k, "metadata key");
          Objects.requireNonNull(v, () -> "metadata value for " + k);
          copy.put(k, v);
        });
    return new StoredOutcome(
        status,
        copy.isEmpty() ? Collections.emptyMap() : Collections.unmodifiableMap(copy),
        body.length == 0 ? EMPTY : body.clone());
  }

  /** The replay result of this outcome, so that replaying a stored outcome allocates nothing. */
  IdempotencyResult<StoredOutcome> replayed() {
    IdempotencyResult<StoredOutcome> r = replayed;
    if (r == null) {
      r = new IdempotencyResult<>(this, IdempotencyResult.Status.REPLAYED);
      replayed = r;
    }
    return r;
  }

  /** An outcome with a status and a body and no metadata. */
  public static StoredOutcome of(int status, byte[] body) {
    return of(status, Map.of(), body);
  }

  /** A {@link #STATUS_OK} outcome with a UTF-8 body. */
  public static StoredOutcome ok(String body) {
    Objects.requireNonNull(body, "body");
    return of(STATUS_OK, Map.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  public int status() {
    return status;
  }

  /** Unmodifiable, in insertion order. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** A copy of the body. */
  public byte[] body() {
    return body.length == 0 ? EMPTY : body.clone();
  }

  /** Body length without copying. */
  public int bodyLength() {
    return body.length;
  }

  /** The body decoded as UTF-8. */
  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Size counted against {@link IdempotencyConfig#getMaxStoredOutcomeBytes()}: body bytes plus the
   * UTF-8 length of every metadata key and value.
   */
  public long sizeInBytes() {
    long size = body.length;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      size += utf8Length(e.getKey()) + utf8Length(e.getValue());
    }
    return size;
  }

  private static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof StoredOutcome)) {
      return false;
    }
    StoredOutcome that = (StoredOutcome) o;
    return status == that.status
        && metadata.equals(that.metadata)
        && Arrays.equals(body, that.body);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * status + metadata.hashCode()) + Arrays.hashCode(body);
  }

  @Override
  public String toString() {
    return "StoredOutcome[status="
        + status
        + ", metadata="
        + metadata.keySet()
        + ", body="
        + body.length
        + " bytes]";
  }
}
