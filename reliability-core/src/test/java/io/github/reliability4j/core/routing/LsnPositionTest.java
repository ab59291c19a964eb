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
  void timelinesAreEncodedAndNeverCoverEachOther() {
    LsnPosition old = LsnPosition.parse("1:0/5000");
    LsnPosition promoted = LsnPosition.parse("2:0/4000");
    assertThat(old.timeline()).isEqualTo(1);
    assertThat(old.encode()).isEqualTo("1:0/5000");
    assertThat(LsnPosition.parse(promoted.encode())).isEqualTo(promoted);
    // A higher LSN on the new timeline still does not cover a write of the old one, nor back.
    assertThat(LsnPosition.parse("2:0/9000").covers(old)).isFalse();
    assertThat(old.covers(promoted)).isFalse();
    assertThat(promoted.mayCover(old)).isFalse();
    assertThat(promoted.bytesAfter(old)).isEmpty();
    assertThat(old.merge(promoted)).isEqualTo(promoted);
    assertThat(promoted.merge(old)).isEqualTo(promoted);
    // Same timeline: LSN order; unknown timeline (old tokens): LSN order against any timeline.
    assertThat(LsnPosition.parse("1:0/6000").covers(old)).isTrue();
    assertThat(LsnPosition.parse("0/6000").covers(old)).isTrue();
    assertThat(old.merge(LsnPosition.parse("0/6000"))).isEqualTo(LsnPosition.parse("1:0/6000"));
    for (String bad : new String[] {":0/1", "x:0/1", "-1:0/1", "99999999999:0/1", "1:"}) {
      assertThatThrownBy(() -> LsnPosition.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> LsnPosition.of(-1, 0))
        .hasMessage("timeline must not be negative, but was -1");
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
