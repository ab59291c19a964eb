package io.github.reliability4j.core.idempotency.internal;

import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Stable binary encoding of {@link StoredOutcome} parts, for stores that persist metadata (or a
 * whole outcome) as one binary column. Not API: the format is versioned by its first byte and may
 * gain versions, but every version ever written stays readable.
 *
 * <p>Format v1: {@code 0x01}, int count, then per entry: int length + UTF-8 key, int length + UTF-8
 * value. A whole outcome: {@code 0x01}, int status, metadata block, int length + body.
 */
public final class OutcomeEncoding {

  private static final byte VERSION_1 = 1;
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private OutcomeEncoding() {}

  /** Encodes a metadata map (insertion order kept). */
  public static byte[] encodeMetadata(Map<String, String> metadata) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION_1);
      writeMetadata(out, metadata);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Decodes {@link #encodeMetadata}.
   *
   * @throws IllegalArgumentException if the bytes are not a known format
   */
  public static Map<String, String> decodeMetadata(byte[] encoded) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      checkVersion(in.readByte());
      return readMetadata(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("Corrupt encoded metadata", e);
    }
  }

  /** Encodes a whole outcome (into one array of the exact size; no stream buffers). */
  public static byte[] encode(StoredOutcome outcome) {
    Map<String, String> metadata = outcome.metadata();
    byte[][] strings = new byte[metadata.size() * 2][];
    int size = 1 + 4 + 4 + 4 + outcome.bodyLength();
    int i = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      strings[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
      strings[i + 1] = e.getValue().getBytes(StandardCharsets.UTF_8);
      size += 8 + strings[i].length + strings[i + 1].length;
      i += 2;
    }
    byte[] out = new byte[size];
    out[0] = VERSION_1;
    INT.set(out, 1, outcome.status());
    INT.set(out, 5, metadata.size());
    int pos = 9;
    for (byte[] s : strings) {
      INT.set(out, pos, s.length);
      System.arraycopy(s, 0, out, pos + 4, s.length);
      pos += 4 + s.length;
    }
    byte[] body = outcome.body();
    INT.set(out, pos, body.length);
    System.arraycopy(body, 0, out, pos + 4, body.length);
    return out;
  }

  /**
   * Decodes {@link #encode}.
   *
   * @throws IllegalArgumentException if the bytes are not a known format
   */
  public static StoredOutcome decode(byte[] encoded) {
    return decode(encoded, 0, encoded.length);
  }

  /**
   * Decodes {@link #encode} from {@code count} bytes of {@code buffer} at {@code offset}, for a
   * store whose value holds the outcome behind a header (no copy of the encoded form).
   *
   * @throws IllegalArgumentException if the bytes are not a known format
   * @throws IndexOutOfBoundsException if the range is outside {@code buffer}
   */
  public static StoredOutcome decode(byte[] buffer, int offset, int count) {
    Objects.checkFromIndexSize(offset, count, buffer.length);
    int end = offset + count;
    if (count < 1 || buffer[offset] != VERSION_1) {
      throw new IllegalArgumentException(
          "Corrupt encoded outcome",
          new IOException(count < 1 ? "empty" : "unknown encoding version " + buffer[offset]));
    }
    int pos = offset + 1;
    int status = readInt(buffer, pos, end);
    int entries = readInt(buffer, pos + 4, end);
    pos += 8;
    if (entries < 0 || entries > end - pos) {
      throw corrupt("metadata count " + entries + " out of range");
    }
    Map<String, String> metadata = entries == 0 ? Collections.emptyMap() : new LinkedHashMap<>();
    for (int i = 0; i < entries; i++) {
      int keyLength = readLength(buffer, pos, end, "string");
      String k = new String(buffer, pos + 4, keyLength, StandardCharsets.UTF_8);
      pos += 4 + keyLength;
      int valueLength = readLength(buffer, pos, end, "string");
      metadata.put(k, new String(buffer, pos + 4, valueLength, StandardCharsets.UTF_8));
      pos += 4 + valueLength;
    }
    int length = readLength(buffer, pos, end, "body");
    byte[] body = Arrays.copyOfRange(buffer, pos + 4, pos + 4 + length);
    return StoredOutcome.of(status, metadata, body);
  }

  private static int readInt(byte[] b, int pos, int end) {
    if (end - pos < 4) {
      throw corrupt("truncated at byte " + pos);
    }
    return (int) INT.get(b, pos);
  }

  /** A length field at {@code pos} whose bytes must follow it within {@code end}. */
  private static int readLength(byte[] b, int pos, int end, String what) {
    int length = readInt(b, pos, end);
    if (length < 0 || length > end - pos - 4) {
      throw corrupt(what + " length " + length + " out of range");
    }
    return length;
  }

  private static IllegalArgumentException corrupt(String detail) {
    return new IllegalArgumentException("Corrupt encoded outcome", new IOException(detail));
  }

  private static void writeMetadata(DataOutputStream out, Map<String, String> metadata)
      throws IOException {
    out.writeInt(metadata.size());
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      writeString(out, e.getKey());
      writeString(out, e.getValue());
    }
  }

  private static Map<String, String> readMetadata(DataInputStream in) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > in.available()) {
      throw new IOException("metadata count " + count + " out of range");
    }
    if (count == 0) {
      return Collections.emptyMap();
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      map.put(readString(in), readString(in));
    }
    return map;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IOException("string length " + length + " out of range");
    }
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static void checkVersion(byte version) throws IOException {
    if (version != VERSION_1) {
      throw new IOException("unknown encoding version " + version);
    }
  }
}
