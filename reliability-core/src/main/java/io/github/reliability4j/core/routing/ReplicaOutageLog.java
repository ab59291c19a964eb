package io.github.reliability4j.core.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RoutingListener} that logs a replica outage without flooding the log: one WARN when a
 * replica's probe starts failing, then at most one WARN per {@code repeatEvery} (default one
 * minute) while it keeps failing (with how long and how many probes), and one INFO when a probe
 * succeeds again. Time is the {@link LagSample#sampledAt()} of the samples, so it follows the
 * router's clock ({@code RoutingConfig.custom().clock(...)}); nothing here reads the system clock.
 *
 * <p>Thread-safe: samples of different replicas may arrive on different threads; the samples of one
 * replica arrive one after another (the monitor samples each replica sequentially). The Spring Boot
 * auto-configuration registers one; with plain Java add it with {@code
 * RoutingConfig.custom().listener(ReplicaOutageLog.ofDefaults())}.
 */
public final class ReplicaOutageLog implements RoutingListener {

  /** The default interval between two reports of the same ongoing outage. */
  public static final Duration DEFAULT_REPEAT_EVERY = Duration.ofMinutes(1);

  private static final Logger DEFAULT_LOG = LoggerFactory.getLogger(ReplicaOutageLog.class);

  private final Duration repeatEvery;
  private final Logger log;
  private final Map<String, Outage> outages = new ConcurrentHashMap<>();

  private static final class Outage {
    final Instant since;
    Instant lastReported;
    long failedProbes = 1;

    Outage(Instant since) {
      this.since = since;
      this.lastReported = since;
    }
  }

  private ReplicaOutageLog(Duration repeatEvery, Logger log) {
    this.repeatEvery = repeatEvery;
    this.log = log;
  }

  /** Reports an ongoing outage at most once a minute. */
  public static ReplicaOutageLog ofDefaults() {
    return every(DEFAULT_REPEAT_EVERY);
  }

  /**
   * Reports an ongoing outage at most once per {@code repeatEvery}.
   *
   * @param repeatEvery the minimum time between two reports of one ongoing outage
   * @return the listener
   * @throws IllegalArgumentException if {@code repeatEvery} is not positive
   */
  public static ReplicaOutageLog every(Duration repeatEvery) {
    return every(repeatEvery, DEFAULT_LOG);
  }

  static ReplicaOutageLog every(Duration repeatEvery, Logger log) {
    Objects.requireNonNull(repeatEvery, "repeatEvery");
    if (repeatEvery.isNegative() || repeatEvery.isZero()) {
      throw new IllegalArgumentException("repeatEvery must be positive, but was " + repeatEvery);
    }
    return new ReplicaOutageLog(repeatEvery, log);
  }

  @Override
  public void onLagSample(LagSample sample) {
    String replica = sample.replica();
    Instant at = sample.sampledAt();
    if (sample.error() == null) {
      Outage ended = outages.remove(replica);
      if (ended != null) {
        log.info(
            "replica '{}' answers again after {} ({} failed probes); it is readmitted once its lag"
                + " is within bounds",
            replica,
            Duration.between(ended.since, at),
            ended.failedProbes);
      }
      return;
    }
    Outage outage = outages.get(replica);
    if (outage == null) {
      outages.put(replica, new Outage(at));
      log.warn(
          "replica '{}' is down: its probe failed ({}); reads go to the other nodes. Repeated at"
              + " most every {} while it stays down.",
          replica,
          describe(sample.error()),
          repeatEvery);
      return;
    }
    outage.failedProbes++;
    if (Duration.between(outage.lastReported, at).compareTo(repeatEvery) >= 0) {
      outage.lastReported = at;
      log.warn(
          "replica '{}' is still down after {} ({} failed probes): {}",
          replica,
          Duration.between(outage.since, at),
          outage.failedProbes,
          describe(sample.error()));
    }
  }

  private static String describe(Throwable error) {
    String message = error.getMessage();
    return error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
