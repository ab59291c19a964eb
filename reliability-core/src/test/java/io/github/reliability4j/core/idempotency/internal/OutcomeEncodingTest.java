package io.github.reliability4j.core.idempotency.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.StoredOutcome;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The outcome encoding is stored by every store: its bytes never change. The expected bytes here
 * are written independently with {@link DataOutputStream}, as format v1 is specified.
 */
class OutcomeEncodingTest {

  private static byte[] specified(StoredOutcome o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(1);
    out.writeInt(o.status());
    out.writeInt(o.metadata().size());
    for (Map.Entry<String, String> e : o.metadata().entrySet()) {
      byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
      byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
      out.writeInt(k.length);
      out.write(k);
      out.writeInt(v.length);
      out.write(v);
    }
    out.writeInt(o.bodyLength());
    out.write(o.body());
    return bytes.toByteArray();
  }

  @Test
  void encodedBytesAreFormatOneExactly() throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("Content-Type", "application/json");
    meta.put("ключ", "");
    meta.put("", "😀");
    byte[] body = new byte[300];
    new Random(3).nextBytes(body);
    for (StoredOutcome o :
        new StoredOutcome[] {
          StoredOutcome.of(422, meta, body),
          StoredOutcome.of(0, new byte[0]),
          StoredOutcome.ok("x".repeat(100)),
          StoredOutcome.of(999, Map.of("a", "b"), new byte[] {0, -1})
        }) {
      assertThat(OutcomeEncoding.encode(o)).isEqualTo(specified(o));
      assertThat(OutcomeEncoding.decode(specified(o))).isEqualTo(o);
    }
  }

  @Test
  void decodesARangeOfALargerBufferAndRejectsTruncationInsideIt() throws IOException {
    StoredOutcome o = StoredOutcome.of(201, Map.of("h", "v"), "body".getBytes());
    byte[] encoded = specified(o);
    byte[] buffer = new byte[10 + encoded.length + 5];
    Arrays.fill(buffer, (byte) 7);
    System.arraycopy(encoded, 0, buffer, 10, encoded.length);
    StoredOutcome decoded = OutcomeEncoding.decode(buffer, 10, encoded.length);
    assertThat(decoded).isEqualTo(o);
    assertThat(decoded.metadata()).containsExactlyEntriesOf(Map.of("h", "v"));
    // Every shorter range ends inside a field: corrupt, never a read past the range.
    for (int cut = 0; cut < encoded.length; cut++) {
      int length = cut;
      assertThatThrownBy(() -> OutcomeEncoding.decode(buffer, 10, length))
          .as("length " + length)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("Corrupt encoded outcome");
    }
    assertThatThrownBy(() -> OutcomeEncoding.decode(buffer, 10, buffer.length))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
