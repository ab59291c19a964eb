package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.internal.JsonWriter;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

/** The JSON writer against an independent parser (Jackson). */
class JsonWriterProperties {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Property(tries = 500)
  void anyStringRoundTrips(@ForAll String s) {
    assertRoundTrip(s);
  }

  @Property(tries = 300)
  void nastyCharactersRoundTrip(
      @ForAll
          @StringLength(max = 20)
          @CharRange(from = '\u0000', to = '\u0040')
          @Chars({'\\', '"', '\u2028', '\u2029', '\u007f', '\ud800', '\udc00', '\ud83d', '\ude00'})
          String s) {
    assertRoundTrip(s);
  }

  @Property(tries = 200)
  void anyMapKeyAndNumberRoundTrip(@ForAll String key, @ForAll long n, @ForAll double d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(key, n);
    m.put(key + "x", d);
    String json = new JsonWriter().value(m).toString();
    Map<?, ?> parsed = MAPPER.readValue(json, Map.class);
    assertThat(((Number) parsed.get(key)).longValue()).isEqualTo(n);
    Object dv = parsed.get(key + "x");
    if (Double.isFinite(d)) {
      assertThat(((Number) dv).doubleValue()).isEqualTo(d);
    } else {
      assertThat(dv).isNull();
    }
  }

  @Test
  void escapesAreExact() {
    assertThat(new JsonWriter().value("a\"b\\c\nd\te\u0001\u2028").toString())
        .isEqualTo("\"a\\\"b\\\\c\\nd\\te\\u0001\\u2028\"");
    assertThat(new JsonWriter().value("lone \ud800 ok \ud83d\ude00").toString())
        .isEqualTo("\"lone \\ud800 ok \ud83d\ude00\"");
    assertThat(new JsonWriter().value("</script>").toString()).isEqualTo("\"</script>\"");
  }

  @Test
  void writesNestedStructuresAndSpecialNumbers() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("list", List.of(1, "two", true));
    m.put("nan", Double.NaN);
    m.put("inf", Float.POSITIVE_INFINITY);
    m.put("big", new BigDecimal("12345678901234567890.5"));
    m.put("none", null);
    m.put("nested", Map.of("k", 0.25));
    String json = new JsonWriter().value(m).toString();
    assertThat(json)
        .isEqualTo(
            "{\"list\":[1,\"two\",true],\"nan\":null,\"inf\":null,"
                + "\"big\":12345678901234567890.5,\"none\":null,\"nested\":{\"k\":0.25}}");
    assertThat(MAPPER.readValue(json, Map.class)).containsKeys("list", "nested");
  }

  private static void assertRoundTrip(String s) {
    String json = new JsonWriter().beginObject().field("v", s).endObject().toString();
    Map<?, ?> parsed = MAPPER.readValue(json, Map.class);
    assertThat(parsed.get("v")).isEqualTo(s);
    assertThat(json.chars().noneMatch(c -> c < 0x20)).isTrue();
  }
}
