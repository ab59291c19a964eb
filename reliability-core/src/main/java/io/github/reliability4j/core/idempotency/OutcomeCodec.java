package io.github.reliability4j.core.idempotency;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns a typed result into stored bytes and back, for {@link Idempotency#execute(IdempotencyKey,
 * RequestFingerprint, OutcomeCodec, java.util.function.Supplier)}.
 *
 * <p>The engine never passes {@code null} to a codec: a null result is stored as {@link
 * StoredOutcome#STATUS_NO_CONTENT} and replayed as {@code null}. Implementations must be
 * thread-safe and deterministic; {@code decode(encode(v))} must equal {@code v}.
 *
 * @param <T> result type
 */
public interface OutcomeCodec<T> {

  /** Encodes a non-null value. */
  byte[] encode(T value);

  /** Decodes bytes produced by {@link #encode}. */
  T decode(byte[] bytes);

  /** A codec from two functions. */
  static <T> OutcomeCodec<T> of(Function<T, byte[]> encoder, Function<byte[], T> decoder) {
    Objects.requireNonNull(encoder, "encoder");
    Objects.requireNonNull(decoder, "decoder");
    return new OutcomeCodec<>() {
      @Override
      public byte[] encode(T value) {
        return encoder.apply(value);
      }

      @Override
      public T decode(byte[] bytes) {
        return decoder.apply(bytes);
      }
    };
  }

  /** UTF-8 strings. */
  static OutcomeCodec<String> utf8() {
    return of(s -> s.getBytes(StandardCharsets.UTF_8), b -> new String(b, StandardCharsets.UTF_8));
  }

  /** Raw bytes (copied). */
  static OutcomeCodec<byte[]> bytes() {
    return of(byte[]::clone, byte[]::clone);
  }
}
