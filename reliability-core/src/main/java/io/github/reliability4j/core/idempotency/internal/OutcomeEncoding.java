package io.github.reliability4j.core.idempotency.internal;

import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

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

  /** Encodes a whole outcome. */
  public static byte[] encode(StoredOutcome outcome) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(outcome.bodyLength() + 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION_1);
      out.writeInt(outcome.status());
      writeMetadata(out, outcome.metadata());
      byte[] body = outcome.body();
      out.writeInt(body.length);
      out.write(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Decodes {@link #encode}.
   *
   * @throws IllegalArgumentException if the bytes are not a known format
   */
  public static StoredOutcome decode(byte[] encoded) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      checkVersion(in.readByte());
      int status = in.readInt();
      Map<String, String> metadata = readMetadata(in);
      int length = in.readInt();
      if (length < 0 || length > in.available()) {
        throw new IOException("body length " + length + " out of range");
      }
      byte[] body = in.readNBytes(length);
      return StoredOutcome.of(status, metadata, body);
    } catch (IOException e) {
      throw new IllegalArgumentException("Corrupt encoded outcome", e);
    }
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
