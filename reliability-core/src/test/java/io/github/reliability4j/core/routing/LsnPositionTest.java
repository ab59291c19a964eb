package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class LsnPositionTest {

  @Test
  void parsesPostgresTextForm() {
    LsnPosition p = LsnPosition.parse("16/B374D848");
    assertThat(p.value()).isEqualTo((0x16L << 32) | 0xB374D848L);
    assertThat(p.encode()).isEqualTo("16/B374D848");
    assertThat(LsnPosition.parse("0/0").value()).isZero();
  }

  @Test
  void rejectsGarbage() {
    for (String bad : new String[] {"", "/", "1/", "/1", "x/1", "123456789/1", "1/2/3", "abc"}) {
      assertThatThrownBy(() -> LsnPosition.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a PostgreSQL LSN");
    }
    assertThatThrownBy(() -> LsnPosition.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void coversIsUnsignedOrderAndBytesAfterIsDistance() {
    LsnPosition a = LsnPosition.parse("0/100");
    LsnPosition b = LsnPosition.parse("0/180");
    assertThat(b.covers(a)).isTrue();
    assertThat(a.covers(b)).isFalse();
    assertThat(a.covers(a)).isTrue();
    assertThat(b.bytesAfter(a).getAsLong()).isEqualTo(0x80);
    assertThat(a.bytesAfter(b).getAsLong()).isZero();
    assertThat(a.merge(b)).isEqualTo(b);
    assertThat(LsnPosition.parse("FFFFFFFF/0").covers(LsnPosition.parse("1/0"))).isTrue();
  }

  @Test
  void refusesToCompareWithOtherPositionTypes() {
    assertThatThrownBy(() -> LsnPosition.of(1).covers(TimePosition.of(java.time.Instant.EPOCH)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 200)
  void encodeParseRoundTrip(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long v) {
    assertThat(LsnPosition.parse(LsnPosition.of(v).encode())).isEqualTo(LsnPosition.of(v));
  }
}
