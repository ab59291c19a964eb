package io.github.reliability4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ReplicaOutageLogTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  ListAppender<ILoggingEvent> appender;
  ReplicaOutageLog outageLog;

  @BeforeEach
  void setUp() {
    Logger logger = (Logger) LoggerFactory.getLogger("outage-test-" + UUID.randomUUID());
    logger.setLevel(Level.DEBUG);
    appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    outageLog = ReplicaOutageLog.every(ReplicaOutageLog.DEFAULT_REPEAT_EVERY, logger);
  }

  static LagSample failed(String replica, Instant at) {
    return new LagSample(
        replica, at, null, -1, null, null, new SQLException("Connection refused"), false);
  }

  static LagSample good(String replica, Instant at) {
    return new LagSample(replica, at, null, 0, Duration.ZERO, Duration.ofMillis(1), null, true);
  }

  List<String> messages() {
    return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  @Test
  void aReplicaDownForTwoMinutesOfOnePerSecondProbesLogsThreeTimesThenOnceOnRecovery() {
    outageLog.onLagSample(good("replica-0", T0));
    for (int second = 1; second <= 121; second++) {
      outageLog.onLagSample(failed("replica-0", T0.plusSeconds(second)));
    }
    outageLog.onLagSample(good("replica-0", T0.plusSeconds(122)));
    outageLog.onLagSample(good("replica-0", T0.plusSeconds(123)));

    assertThat(messages()).hasSize(4);
    assertThat(messages().get(0))
        .startsWith("WARN replica 'replica-0' is down")
        .contains("SQLException: Connection refused")
        .contains("PT1M");
    assertThat(messages().get(1))
        .startsWith("WARN replica 'replica-0' is still down after PT1M (61 failed probes)");
    assertThat(messages().get(2))
        .startsWith("WARN replica 'replica-0' is still down after PT2M (121 failed probes)")
        .isNotEqualTo(messages().get(1));
    assertThat(messages().get(3))
        .startsWith("INFO replica 'replica-0' answers again after PT2M1S (121 failed probes)");
  }

  @Test
  void neverMoreThanOneReportPerIntervalWhateverTheProbeRate() {
    // 10 probes per second for 10 minutes: at most the transition plus one report per minute.
    for (int tenth = 0; tenth < 6000; tenth++) {
      outageLog.onLagSample(failed("replica-1", T0.plusMillis(100L * tenth)));
    }
    // the transition at 0 s, then reports at 60, 120, ..., 540 s
    assertThat(messages()).hasSize(10);
    assertThat(messages().get(9)).contains("still down after PT9M (5401 failed probes)");
  }

  @Test
  void replicasAreTrackedApart() {
    outageLog.onLagSample(failed("a", T0));
    outageLog.onLagSample(failed("b", T0.plusSeconds(1)));
    outageLog.onLagSample(failed("a", T0.plusSeconds(2)));
    outageLog.onLagSample(good("a", T0.plusSeconds(3)));
    assertThat(messages())
        .satisfiesExactly(
            m -> assertThat(m).startsWith("WARN replica 'a' is down"),
            m -> assertThat(m).startsWith("WARN replica 'b' is down"),
            m -> assertThat(m).startsWith("INFO replica 'a' answers again after PT3S"));
  }

  @Test
  void aGoodSampleWithoutAnOutageLogsNothing() {
    outageLog.onLagSample(good("a", T0));
    assertThat(messages()).isEmpty();
  }

  @Test
  void repeatIntervalMustBePositive() {
    assertThatThrownBy(() -> ReplicaOutageLog.every(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("repeatEvery must be positive, but was PT0S");
  }
}
