package io.github.reliability4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The checker's defaults and a registration's overrides share one schedule part: each setting
 * accepts and refuses the same values, with the same message, in both builders.
 */
class ProbeScheduleBuilderTest {

  record Case(
      String name, Consumer<ProbeScheduleBuilder<?>> bad, Consumer<ProbeScheduleBuilder<?>> good) {}

  static final List<Case> CASES =
      List.of(
          new Case(
              "interval", b -> b.interval(Duration.ZERO), b -> b.interval(Duration.ofNanos(1))),
          new Case(
              "failingInterval",
              b -> b.failingInterval(Duration.ofSeconds(-1)),
              b -> b.failingInterval(Duration.ofMillis(1))),
          new Case(
              "deadline", b -> b.deadline(Duration.ZERO), b -> b.deadline(Duration.ofMillis(1))),
          new Case("maxAge", b -> b.maxAge(Duration.ZERO), b -> b.maxAge(Duration.ofMillis(1))),
          new Case("jitter", b -> b.jitter(1.0), b -> b.jitter(0.999)),
          new Case("jitter", b -> b.jitter(-0.001), b -> b.jitter(0.0)),
          new Case("failureThreshold", b -> b.failureThreshold(0), b -> b.failureThreshold(1)),
          new Case("recoveryThreshold", b -> b.recoveryThreshold(0), b -> b.recoveryThreshold(1)));

  static ProbeScheduleBuilder<?> registration() {
    return ProbeRegistration.builder("p", ctx -> ProbeResult.pass());
  }

  @Test
  void bothBuildersRefuseTheSameValuesWithTheSameMessage() {
    for (Case c : CASES) {
      Throwable checker = catchThrowable(() -> c.bad().accept(HealthCheckerConfig.custom()));
      Throwable probe = catchThrowable(() -> c.bad().accept(registration()));
      assertThat(checker).as(c.name()).isInstanceOf(IllegalArgumentException.class);
      assertThat(checker.getMessage()).as(c.name()).startsWith(c.name() + " must");
      assertThat(probe).as(c.name()).hasMessage(checker.getMessage());
      c.good().accept(HealthCheckerConfig.custom());
      c.good().accept(registration());
    }
  }

  @Test
  void checkerStartsFromItsDocumentedDefaultsAndRegistrationsFromNone() {
    HealthCheckerConfig defaults = HealthCheckerConfig.ofDefaults();
    assertThat(defaults.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.failingInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(defaults.deadline()).isEqualTo(Duration.ofSeconds(2));
    assertThat(defaults.maxAge()).isEmpty();
    assertThat(defaults.jitter()).isEqualTo(0.1);
    assertThat(defaults.failureThreshold()).isEqualTo(1);
    assertThat(defaults.recoveryThreshold()).isEqualTo(2);
    ProbeRegistration r = ProbeRegistration.builder("p", ctx -> ProbeResult.pass()).build();
    assertThat(r.interval()).isEmpty();
    assertThat(r.failingInterval()).isEmpty();
    assertThat(r.deadline()).isEmpty();
    assertThat(r.maxAge()).isEmpty();
    assertThat(r.jitter()).isEmpty();
    assertThat(r.failureThreshold()).isEmpty();
    assertThat(r.recoveryThreshold()).isEmpty();
    ProbeRegistration set =
        ProbeRegistration.builder("p", ctx -> ProbeResult.pass())
            .interval(Duration.ofSeconds(3))
            .jitter(0.5)
            .recoveryThreshold(4)
            .build();
    assertThat(set.interval()).contains(Duration.ofSeconds(3));
    assertThat(set.jitter()).contains(0.5);
    assertThat(set.recoveryThreshold()).contains(4);
    HealthCheckerConfig copy =
        HealthCheckerConfig.from(
                HealthCheckerConfig.custom().deadline(Duration.ofSeconds(7)).build())
            .build();
    assertThat(copy.deadline()).isEqualTo(Duration.ofSeconds(7));
    assertThat(copy.interval()).isEqualTo(Duration.ofSeconds(10));
  }
}
