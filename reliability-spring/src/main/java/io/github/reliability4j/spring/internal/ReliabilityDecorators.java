package io.github.reliability4j.spring.internal;

import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.core.idempotency.IdempotencyStore;

/**
 * Hooks through which the observation auto-configuration instruments the engine's store calls and
 * every probe evaluation, without the idempotency and health auto-configurations referring to
 * Micrometer types (they must load without Micrometer). Not API.
 */
public final class ReliabilityDecorators {

  private ReliabilityDecorators() {}

  /** Wraps the store the idempotency engine calls (the store bean itself stays unwrapped). */
  @FunctionalInterface
  public interface StoreDecorator {
    IdempotencyStore decorate(IdempotencyStore store);
  }

  /** Wraps each probe registration of the auto-configured health checker. */
  @FunctionalInterface
  public interface ProbeDecorator {
    ProbeRegistration decorate(ProbeRegistration registration);
  }
}
