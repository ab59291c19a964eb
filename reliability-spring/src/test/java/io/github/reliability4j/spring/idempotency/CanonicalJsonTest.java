package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

  static String canon(String json) {
    byte[] b = CanonicalJson.canonicalize(json);
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void whitespaceAndMemberOrderDoNotMatter() {
    assertThat(canon(" {\n \"b\" : [1, {\"y\":2,\"x\":1}],\t\"a\":\"s\" }\r\n"))
        .isEqualTo("{\"a\":\"s\",\"b\":[1,{\"x\":1,\"y\":2}]}");
    assertThat(canon("{\"a\":1,\"b\":2}")).isEqualTo(canon("{\"b\":2,\"a\":1}"));
  }

  @Test
  void numbersKeepTheirExactLexeme() {
    assertThat(canon("[1, 1.0, 1e0, 1E+0, -0, 10000000000000000000001, 0.10]"))
        .isEqualTo("[1,1.0,1e0,1E+0,-0,10000000000000000000001,0.10]");
    assertThat(canon("{\"n\":1}")).isNotEqualTo(canon("{\"n\":1.0}"));
  }

  @Test
  void stringsCompareByValueAndArrayOrderMatters() {
    assertThat(canon("\"\\u0041\\/\"")).isEqualTo(canon("\"A/\""));
    assertThat(canon("\"a\\nb\\u0001\"")).isEqualTo("\"a\\nb\\u0001\"");
    assertThat(canon("\"é ☃ \\ud83d\\ude00\"")).isEqualTo("\"é ☃ \ud83d\ude00\"");
    assertThat(canon("{\"s\":\" a\"}")).isNotEqualTo(canon("{\"s\":\"a\"}"));
    assertThat(canon("[1,2]")).isNotEqualTo(canon("[2,1]"));
    assertThat(canon("{\"a\":\"1\"}")).isNotEqualTo(canon("{\"a\":1}"));
  }

  @Test
  void duplicateMembersKeepTheirRelativeOrder() {
    assertThat(canon("{\"a\":1,\"b\":0,\"a\":2}")).isEqualTo("{\"a\":1,\"a\":2,\"b\":0}");
    assertThat(canon("{\"a\":1,\"a\":2}")).isNotEqualTo(canon("{\"a\":2,\"a\":1}"));
  }

  @Test
  void invalidJsonIsNotCanonicalized() {
    for (String bad :
        new String[] {
          "",
          "{",
          "{\"a\":}",
          "[1,]",
          "01",
          "1.",
          "-",
          "tru",
          "\"a",
          "\"\\x\"",
          "\"\\u12g4\"",
          "\"\\u+123\"",
          "{\"a\":1}x",
          "{a:1}",
          "\"tab\there\"",
          "[1 2]",
          "nul"
        }) {
      assertThat(canon(bad)).as(bad).isNull();
    }
    assertThat(canon("[".repeat(CanonicalJson.MAX_DEPTH + 2))).isNull();
    assertThat(canon("[".repeat(100) + "]".repeat(100))).isNotNull();
    // Not UTF-8: raw bytes, never a lossy decoding that could equal another body.
    assertThat(
            CanonicalJson.canonicalize(
                new byte[] {'"', (byte) 0xC3, '"'}, java.nio.charset.StandardCharsets.UTF_8))
        .isNull();
  }

  @Test
  void mediaTypesThatCountAsJson() {
    assertThat(RequestCanonicalizer.isJson("application/json")).isTrue();
    assertThat(RequestCanonicalizer.isJson("application/json; charset=utf-8")).isTrue();
    assertThat(RequestCanonicalizer.isJson("application/merge-patch+json")).isTrue();
    assertThat(RequestCanonicalizer.isJson("text/plain")).isFalse();
    assertThat(RequestCanonicalizer.isJson("application/jsonx")).isFalse();
    assertThat(RequestCanonicalizer.isJson("")).isFalse();
  }
}
