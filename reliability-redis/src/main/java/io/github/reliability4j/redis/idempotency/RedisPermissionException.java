package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStoreException;

/**
 * The Redis user lacks a permission the store needs (Redis answered {@code NOPERM}), found when the
 * store starts. Names the command Redis refused and the ACL rule that grants everything the store
 * uses.
 */
public class RedisPermissionException extends IdempotencyStoreException {

  private static final long serialVersionUID = 1L;

  private final String command;

  RedisPermissionException(String command, String keyPrefix, Throwable cause) {
    super(
        "Redis refused '"
            + command
            + "' to the idempotency store ("
            + cause.getMessage()
            + "). The store runs Lua scripts (EVALSHA, EVAL, SCRIPT LOAD) that read and write"
            + " strings (and read hashes of its earlier record format) under its key prefix; grant"
            + " them, e.g. ACL SETUSER <user> +evalsha +eval +script|load +get +set +del +hmget"
            + " +ping +wait ~"
            + keyPrefix
            + "*",
        cause);
    this.command = command;
  }

  /** The command Redis refused, e.g. {@code "EVALSHA"} or {@code "SCRIPT LOAD"}. */
  public String getCommand() {
    return command;
  }
}
