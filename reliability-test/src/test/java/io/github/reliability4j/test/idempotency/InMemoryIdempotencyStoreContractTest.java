package io.github.reliability4j.test.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import java.time.Clock;

class InMemoryIdempotencyStoreContractTest extends AbstractIdempotencyStoreContract {

  @Override
  protected IdempotencyStore createStore(Clock clock) {
    return InMemoryIdempotencyStore.builder().clock(clock).build();
  }
}
