package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class IdempotencyKeyHeaderTest {

  @Test
  void acceptsQuotedAndBareForms() {
    assertThat(IdempotencyKeyHeader.parse("\"abc-1\"", 255).key()).isEqualTo("abc-1");
    assertThat(IdempotencyKeyHeader.parse("abc-1", 255).key()).isEqualTo("abc-1");
    assertThat(IdempotencyKeyHeader.parse("  abc-1 ", 255).key()).isEqualTo("abc-1");
    assertThat(IdempotencyKeyHeader.parse("\"a \\\"b\\\\\"", 255).key()).isEqualTo("a \"b\\");
  }

  @Test
  void rejectsMalformedKeysWithAReason() {
    for (String bad :
        new String[] {"", "  ", "\"\"", "\"x", "\"x\" y", "\"\\n\"", "a,b", "a b", "\"\u00e9\""}) {
      IdempotencyKeyHeader.Parsed p = IdempotencyKeyHeader.parse(bad, 255);
      assertThat(p.key()).as(bad).isNull();
      assertThat(p.error()).as(bad).isNotBlank();
    }
    assertThat(IdempotencyKeyHeader.parse("x".repeat(11), 10).error()).contains("11");
  }

  /** Any printable-ASCII key survives quoting (with escapes) and parsing unchanged. */
  @Property(tries = 300)
  void quotingRoundTrips(
      @ForAll @StringLength(min = 1, max = 40) @CharRange(from = ' ', to = '~') String key) {
    String quoted = "\"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    assertThat(IdempotencyKeyHeader.parse(quoted, 255).key()).isEqualTo(key);
  }

  @Test
  void canonicalQueryIgnoresOrderButNotValues() {
    assertThat(HttpRequestFingerprint.canonicalQuery("b=2&a=1"))
        .isEqualTo(HttpRequestFingerprint.canonicalQuery("a=1&b=2"));
    assertThat(HttpRequestFingerprint.canonicalQuery("a=1&a=2"))
        .isNotEqualTo(HttpRequestFingerprint.canonicalQuery("a=1"));
    assertThat(HttpRequestFingerprint.canonicalQuery("a=%41"))
        .isEqualTo(HttpRequestFingerprint.canonicalQuery("a=A"));
    assertThat(HttpRequestFingerprint.of("POST", "/x", "/x", "a=1", new byte[] {1}))
        .isNotEqualTo(HttpRequestFingerprint.of("PUT", "/x", "/x", "a=1", new byte[] {1}));
  }
}
