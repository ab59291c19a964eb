package io.github.reliability4j.core.health;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What a probe knows about the evaluation it is part of. Immutable.
 *
 * @param name the registered probe name
 * @param startedAt when the probe started running on its worker (evaluator clock); time spent
 *     waiting for a worker is not included
 * @param deadline how long the evaluation may take, counted from {@code startedAt}, before it is
 *     cancelled
 */
public record ProbeContext(String name, Instant startedAt, Duration deadline) {

  public ProbeContext {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(deadline, "deadline");
  }

  /** Returns the deadline rounded up to whole seconds, at least 1, for JDBC-style timeouts. */
  public int deadlineSeconds() {
    long seconds = (deadline.toMillis() + 999) / 1000;
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
  }
}
