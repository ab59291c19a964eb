package io.github.reliability4j.jdbc.idempotency;

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
 * Binary encoding of the outcome metadata: a format version byte, an entry count, then each key and
 * value as length-prefixed UTF-8. Binary rather than JSON keeps the module free of a JSON
 * dependency and survives any character in keys and values; insertion order is preserved.
 */
final class MetadataCodec {

  private static final int VERSION = 1;

  private MetadataCodec() {}

  static byte[] encode(Map<String, String> metadata) {
    if (metadata.isEmpty()) {
      return null;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeInt(metadata.size());
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static Map<String, String> decode(byte[] encoded) {
    if (encoded == null || encoded.length == 0) {
      return Collections.emptyMap();
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      int version = in.readUnsignedByte();
      if (version != VERSION) {
        throw new IllegalStateException(
            "stored metadata has format version " + version + ", this version reads " + VERSION);
      }
      int size = in.readInt();
      Map<String, String> map = new LinkedHashMap<>();
      for (int i = 0; i < size; i++) {
        map.put(readString(in), readString(in));
      }
      return map;
    } catch (IOException e) {
      throw new IllegalStateException("stored metadata is corrupt", e);
    }
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
