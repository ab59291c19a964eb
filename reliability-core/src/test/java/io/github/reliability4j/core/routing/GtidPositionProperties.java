package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The {@link ReplicationPosition} laws for GTID positions, and covers against a per-domain model.
 */
class GtidPositionProperties {

  @Provide
  Arbitrary<GtidPosition> positions() {
    return Arbitraries.maps(
            Arbitraries.longs().between(0, 3),
            Arbitraries.longs()
                .between(0, 6)
                .flatMap(
                    seq -> Arbitraries.longs().between(1, 3).map(server -> server * 1000 + seq)))
        .ofMaxSize(4)
        .map(
            m -> {
              StringBuilder b = new StringBuilder();
              m.forEach(
                  (d, v) ->
                      b.append(b.length() == 0 ? "" : ",")
                          .append(d)
                          .append('-')
                          .append(v / 1000)
                          .append('-')
                          .append(v % 1000));
              return GtidPosition.parse(b.toString());
            });
  }

  @Property
  void coversIsReflexive(@ForAll("positions") GtidPosition a) {
    assertThat(a.covers(a)).isTrue();
  }

  @Property
  void mergeIsAnUpperBoundCommutativeAndAssociative(
      @ForAll("positions") GtidPosition a,
      @ForAll("positions") GtidPosition b,
      @ForAll("positions") GtidPosition c) {
    ReplicationPosition ab = a.merge(b);
    assertThat(ab.covers(a)).isTrue();
    assertThat(ab.covers(b)).isTrue();
    assertThat(ab).isEqualTo(b.merge(a));
    assertThat(ab.merge(c)).isEqualTo(a.merge(b.merge(c)));
  }

  @Property
  void coversMatchesThePerDomainModel(
      @ForAll("positions") GtidPosition a, @ForAll("positions") GtidPosition b) {
    boolean model = true;
    for (Map.Entry<Long, GtidPosition.Gtid> e : b.domains().entrySet()) {
      GtidPosition.Gtid mine = a.domains().get(e.getKey());
      model &= mine != null && mine.sequence() >= e.getValue().sequence();
    }
    assertThat(a.covers(b)).isEqualTo(model);
  }

  @Property
  void encodeRoundTrips(@ForAll("positions") GtidPosition a) {
    assertThat(GtidPosition.parse(a.encode())).isEqualTo(a);
    assertThat(a.encode()).doesNotContain("|");
  }
}
