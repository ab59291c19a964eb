package io.github.reliability4j.redis.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of {@link RedisIdempotencyStore}. Each touches exactly one key ({@code KEYS[1]},
 * the record's hash), so it runs atomically on the one node owning the key's slot. Record fields:
 * {@code s} state ({@code P} in progress, {@code C} completed), {@code e} expiry (epoch ms of the
 * store's clock, decimal), {@code f} fingerprint (32 raw bytes), {@code t} owner token (in progress
 * only), {@code o} encoded outcome (completed only). {@code now} and expiries come from the caller:
 * the record's logical life follows the store's clock, the key's Redis TTL only collects garbage.
 */
final class Scripts {

  /**
   * ARGV: now, fingerprint, token, leaseExpiry, ttlMillis. Returns {@code {'A', takeover}}, {@code
   * {'M', state}}, {@code {'C', expiry, outcome}} or {@code {'P', expiry}}.
   */
  static final Script CLAIM =
      new Script(
          "claim",
          "local r = redis.call('HMGET', KEYS[1], 's', 'e', 'f', 'o')\n"
              + "if r[1] and tonumber(r[2]) > tonumber(ARGV[1]) then\n"
              + "  if r[3] ~= ARGV[2] then return {'M', r[1]} end\n"
              + "  if r[1] == 'C' then return {'C', r[2], r[4]} end\n"
              + "  return {'P', r[2]}\n"
              + "end\n"
              + "local takeover = 0\n"
              + "if r[1] == 'P' then takeover = 1 end\n"
              + "if r[1] then redis.call('DEL', KEYS[1]) end\n"
              + "redis.call('HSET', KEYS[1], 's', 'P', 'e', ARGV[4], 'f', ARGV[2], 't', ARGV[3])\n"
              + "redis.call('PEXPIRE', KEYS[1], ARGV[5])\n"
              + "return {'A', takeover}\n");

  private static final String OWNS =
      "local r = redis.call('HMGET', KEYS[1], 's', 'e', 't')\n"
          + "if r[1] ~= 'P' or r[3] ~= ARGV[2] or tonumber(r[2]) <= tonumber(ARGV[1]) then\n"
          + "  return 0\n"
          + "end\n";

  /** ARGV: now, token, leaseExpiry, ttlMillis. Returns 1 if renewed, else 0. */
  static final Script RENEW =
      new Script(
          "renew",
          OWNS
              + "redis.call('HSET', KEYS[1], 'e', ARGV[3])\n"
              + "redis.call('PEXPIRE', KEYS[1], ARGV[4])\n"
              + "return 1\n");

  /** ARGV: now, token, retentionExpiry, outcome, ttlMillis. Returns 1 if completed, else 0. */
  static final Script COMPLETE =
      new Script(
          "complete",
          OWNS
              + "redis.call('HSET', KEYS[1], 's', 'C', 'e', ARGV[3], 'o', ARGV[4])\n"
              + "redis.call('HDEL', KEYS[1], 't')\n"
              + "redis.call('PEXPIRE', KEYS[1], ARGV[5])\n"
              + "return 1\n");

  /** ARGV: now, token. Returns 1 if deleted, else 0. */
  static final Script RELEASE =
      new Script("release", OWNS + "redis.call('DEL', KEYS[1])\n" + "return 1\n");

  /**
   * Start-up check: writes, expires and deletes a probe key under the prefix, so a missing
   * permission (the scripts themselves or a command or key pattern they need) shows at start.
   */
  static final Script CHECK =
      new Script(
          "startup check",
          "redis.call('HSET', KEYS[1], 's', 'P')\n"
              + "redis.call('PEXPIRE', KEYS[1], 1000)\n"
              + "redis.call('HMGET', KEYS[1], 's')\n"
              + "redis.call('HDEL', KEYS[1], 's')\n"
              + "redis.call('DEL', KEYS[1])\n"
              + "return 1\n");

  static final Script[] ALL = {CLAIM, RENEW, COMPLETE, RELEASE, CHECK};

  private Scripts() {}

  /** A script with its body and the SHA-1 digest Redis caches it under. */
  static final class Script {
    final String name;
    final byte[] body;
    final String sha;

    Script(String name, String body) {
      this.name = name;
      this.body = body.getBytes(StandardCharsets.UTF_8);
      try {
        this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(this.body));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-1 is required by every Java platform", e);
      }
    }
  }
}
