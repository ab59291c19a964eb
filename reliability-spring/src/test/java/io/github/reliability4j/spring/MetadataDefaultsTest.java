package io.github.reliability4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.spring.health.HealthProperties;
import io.github.reliability4j.spring.idempotency.IdempotencyProperties;
import io.github.reliability4j.spring.routing.RoutingProperties;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/**
 * Properties whose defaults come from core constants cannot be read by the configuration processor,
 * so their documented defaults are declared in {@code
 * additional-spring-configuration-metadata.json}; this test keeps that file equal to the defaults
 * the properties really have (the core's), so the IDE never shows a stale default.
 */
class MetadataDefaultsTest {

  static final Map<String, Object> ROOTS =
      Map.of(
          "reliability.idempotency.", new IdempotencyProperties(),
          "reliability.health.", new HealthProperties(),
          "reliability.routing.", new RoutingProperties());

  @Test
  @SuppressWarnings("unchecked")
  void declaredDefaultsAreTheRealDefaults() throws Exception {
    Map<String, Object> metadata;
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      metadata = JsonMapper.builder().build().readValue(in, Map.class);
    }
    List<Map<String, Object>> properties = (List<Map<String, Object>>) metadata.get("properties");
    int checked = 0;
    for (Map<String, Object> p : properties) {
      String name = (String) p.get("name");
      Object declared = p.get("defaultValue");
      if (declared == null) {
        continue;
      }
      for (Map.Entry<String, Object> root : ROOTS.entrySet()) {
        if (!name.startsWith(root.getKey())) {
          continue;
        }
        String path = PropertyBoundsTest.camel(name.substring(root.getKey().length()));
        BeanWrapperImpl bean = new BeanWrapperImpl(root.getValue());
        if (!bean.isReadableProperty(path)) {
          continue;
        }
        Object actual = bean.getPropertyValue(path);
        Object expected = declared;
        if (actual instanceof java.time.Duration) {
          expected = DurationStyle.detectAndParse(declared.toString());
        } else if (actual instanceof DataSize) {
          expected = DataSize.parse(declared.toString());
        } else if (actual instanceof Enum<?> e) {
          actual = e.name().toLowerCase().replace('_', '-');
        } else if (actual instanceof List<?> || actual instanceof Object[]) {
          continue;
        }
        assertThat(String.valueOf(actual)).as(name).isEqualTo(String.valueOf(expected));
        checked++;
      }
    }
    // The sixteen declared in additional metadata, plus those the processor found itself.
    assertThat(checked).isGreaterThanOrEqualTo(16);
  }
}
