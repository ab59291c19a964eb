package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GtidPositionTest {

  static GtidPosition g(String s) {
    return GtidPosition.parse(s);
  }

  @Test
  void parsesMariaDbTextFormsAndEncodesThemBack() {
    assertThat(g("0-1-42").encode()).isEqualTo("0-1-42");
    assertThat(g("7-3-5,0-1-42").encode()).as("sorted by domain").isEqualTo("0-1-42,7-3-5");
    assertThat(g(" 0-1-42,\n1-2-3 ").encode()).isEqualTo("0-1-42,1-2-3");
    assertThat(g("").isEmpty()).isTrue();
    assertThat(g("").encode()).isEmpty();
    assertThat(g("4294967295-4294967295-18446744073709551615").encode())
        .isEqualTo("4294967295-4294967295-18446744073709551615");
    assertThat(g("0-1-42").domains().get(0L).sequence()).isEqualTo(42);
  }

  @Test
  void rejectsMalformedPositionsNamingThem() {
    for (String bad :
        new String[] {
          "x",
          "0-1",
          "0-1-2-3",
          "0--2",
          "0-1-a",
          "-1-1-1",
          "0-1-2,",
          "0-1-2,0-3-4",
          "4294967296-1-1"
        }) {
      assertThatThrownBy(() -> GtidPosition.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad);
    }
    assertThatThrownBy(() -> GtidPosition.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void coversComparesSequenceNumbersPerDomain() {
    assertThat(g("0-1-10").covers(g("0-1-9"))).isTrue();
    assertThat(g("0-1-10").covers(g("0-1-10"))).isTrue();
    assertThat(g("0-1-10").covers(g("0-1-11"))).isFalse();
    assertThat(g("0-2-10").covers(g("0-1-10"))).as("server id does not take part").isTrue();
    assertThat(g("0-1-10,7-1-3").covers(g("0-1-5,7-1-3"))).isTrue();
    assertThat(g("0-1-10,7-1-2").covers(g("0-1-5,7-1-3"))).as("one domain behind").isFalse();
    assertThat(g("0-1-100").covers(g("7-1-1"))).as("a missing domain does not cover").isFalse();
    assertThat(g("0-1-100").covers(g("0-1-1,7-1-1"))).isFalse();
    assertThat(g("").covers(g(""))).isTrue();
    assertThat(g("0-1-1").covers(g(""))).isTrue();
    assertThat(g("").covers(g("0-1-1"))).isFalse();
    assertThat(g("0-1-18446744073709551615").covers(g("0-1-1"))).as("unsigned").isTrue();
  }

  @Test
  void mergeKeepsTheLaterGtidOfEveryDomain() {
    assertThat(g("0-1-10").merge(g("0-1-4,7-2-3"))).isEqualTo(g("0-1-10,7-2-3"));
    assertThat(g("0-1-5").merge(g("0-2-5"))).isEqualTo(g("0-2-5"));
    assertThat(g("0-2-5").merge(g("0-1-5"))).isEqualTo(g("0-2-5"));
    assertThat(g("").merge(g("0-1-1"))).isEqualTo(g("0-1-1"));
  }

  @Test
  void refusesToCompareWithOtherPositionTypes() {
    assertThatThrownBy(() -> g("0-1-1").covers(LsnPosition.of(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot compare a MariaDB GTID position");
  }
}
