package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStoreException;

/**
 * A write reached fewer replicas than {@link RedisIdempotencyStoreConfig#getWaitReplicas()} within
 * the wait timeout. The write itself was applied on the master and may or may not survive a
 * failover; the engine treats the exception as a store failure (outage policy). For a claim the
 * store has already released the key (best effort) so a retry can claim it again.
 */
public class RedisReplicationException extends IdempotencyStoreException {

  private static final long serialVersionUID = 1L;

  private final String operation;
  private final long acknowledged;
  private final int required;

  RedisReplicationException(String operation, long acknowledged, int required, String timeout) {
    super(
        operation
            + " was acknowledged by "
            + acknowledged
            + " of the "
            + required
            + " required replicas within "
            + timeout
            + " (WAIT); it is applied on the master but may be lost on failover");
    this.operation = operation;
    this.acknowledged = acknowledged;
    this.required = required;
  }

  public String getOperation() {
    return operation;
  }

  public long getAcknowledged() {
    return acknowledged;
  }

  public int getRequired() {
    return required;
  }
}
