package io.github.reliability4j.redis.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of {@link RedisIdempotencyStore}. Each touches exactly one key ({@code KEYS[1]},
 * the record), so it runs atomically on the one node owning the key's slot. {@code now} and
 * expiries come from the caller: the record's logical life follows the store's clock, the key's
 * Redis TTL only collects garbage.
 *
 * <h2>Record format 2 (one string value, written by this version)</h2>
 *
 * <pre>
 * offset  length  content
 * 0       1       format version 0x02
 * 1       1       state: 'P' in progress, 'C' completed
 * 2       8       expiry: lease or retention end, epoch ms of the store's clock, big-endian signed
 * 10      32      request fingerprint (raw SHA-256 bytes)
 * 42      rest    'P': the owner token (its UTF-8 bytes); 'C': the outcome in OutcomeEncoding's
 *                 binary form (body bytes as they are)
 * </pre>
 *
 * Lua indexes strings from 1, so in the scripts the state is byte 2, the expiry bytes 3-10, the
 * fingerprint bytes 11-42 and the tail starts at byte 43. Every write is one {@code SET key value
 * PX ttl}, which replaces value and TTL together; a duplicate lookup is one {@code GET}. Numbers
 * the scripts compare (now, expiries) travel as 8-byte big-endian arguments and are read with
 * Redis's built-in {@code struct} library; an epoch-millisecond value is exact in Lua's double.
 *
 * <h2>Format 1 (a hash, written before format 2) and unknown formats</h2>
 *
 * Format 1 kept the same fields in a hash ({@code s}, {@code e} decimal, {@code f}, {@code t},
 * {@code o}). {@code GET} on such a key answers {@code WRONGTYPE}; the shared {@code record()}
 * function then reads the hash with {@code HMGET} and converts it to the format-2 bytes in the
 * script, so every script decides on a format-1 record exactly as on a format-2 one, and its next
 * write (claim after expiry, renew, complete) stores it in format 2 ({@code SET} replaces a hash).
 * A string whose first byte is not {@code 0x02} (a later format, or a foreign value under the
 * prefix) is never decided on or overwritten: the script answers an error naming the format, which
 * the store throws as an {@code IdempotencyStoreException} (an outage to the engine).
 */
final class Scripts {

  /** Format-2 offsets (0-based, Java side). */
  static final int VERSION_2 = 2;

  static final int STATE = 1;
  static final int EXPIRY = 2;
  static final int FINGERPRINT = 10;
  static final int TAIL = 42;

  /**
   * Returns the record at {@code k} in format 2 (converting format 1), or {@code false} if absent.
   */
  private static final String RECORD =
      "local function record(k)\n"
          + "  local v = redis.pcall('GET', k)\n"
          + "  if type(v) == 'table' then\n"
          + "    if not string.find(v.err, 'WRONGTYPE', 1, true) then error(v) end\n"
          + "    local h = redis.call('HMGET', k, 's', 'e', 'f', 't', 'o')\n"
          + "    if not h[1] then return false end\n"
          + "    local tail = h[4]\n"
          + "    if h[1] == 'C' then tail = h[5] end\n"
          + "    return '\\2' .. h[1] .. struct.pack('>i8', tonumber(h[2])) .. h[3] .. (tail or '')\n"
          + "  end\n"
          + "  if v then\n"
          + "    local version = string.byte(v, 1)\n"
          + "    if version ~= 2 then\n"
          + "      error({err = 'ERR reliability4j idempotency record of unknown format '"
          + " .. tostring(version) .. ' (this version reads formats 1 and 2)'})\n"
          + "    end\n"
          + "  end\n"
          + "  return v\n"
          + "end\n";

  /**
   * ARGV: now (8 bytes), the new in-progress record (format 2), ttlMillis (decimal). Returns {@code
   * A0} / {@code A1} (acquired, without / with takeover), {@code M} + state (fingerprint mismatch),
   * the live completed record, or the first 10 bytes of the live in-progress record (its header,
   * without the owner's token).
   */
  static final Script CLAIM =
      new Script(
          "claim",
          RECORD
              + "local v = record(KEYS[1])\n"
              + "local answer = 'A0'\n"
              + "if v then\n"
              + "  if struct.unpack('>i8', v, 3) > struct.unpack('>i8', ARGV[1]) then\n"
              + "    if string.sub(v, 11, 42) ~= string.sub(ARGV[2], 11, 42) then\n"
              + "      return 'M' .. string.sub(v, 2, 2)\n"
              + "    end\n"
              + "    if string.byte(v, 2) == 67 then return v end\n"
              + "    return string.sub(v, 1, 10)\n"
              + "  end\n"
              + "  if string.byte(v, 2) == 80 then answer = 'A1' end\n"
              + "end\n"
              + "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])\n"
              + "return answer\n");

  /** The caller's live lease: in progress, its token, not expired (ARGV[1] now, ARGV[2] token). */
  private static final String OWNS =
      RECORD
          + "local v = record(KEYS[1])\n"
          + "if not v or string.byte(v, 2) ~= 80 or string.sub(v, 43) ~= ARGV[2]\n"
          + "    or struct.unpack('>i8', v, 3) <= struct.unpack('>i8', ARGV[1]) then\n"
          + "  return 0\n"
          + "end\n";

  /**
   * ARGV: now (8 bytes), token, leaseExpiry (8 bytes), ttlMillis (decimal). Returns 1 if renewed,
   * else 0.
   */
  static final Script RENEW =
      new Script(
          "renew",
          OWNS
              + "redis.call('SET', KEYS[1], '\\2P' .. ARGV[3] .. string.sub(v, 11), 'PX', ARGV[4])\n"
              + "return 1\n");

  /**
   * ARGV: now (8 bytes), token, retentionExpiry (8 bytes), encoded outcome, ttlMillis (decimal).
   * Returns 1 if completed, else 0.
   */
  static final Script COMPLETE =
      new Script(
          "complete",
          OWNS
              + "redis.call('SET', KEYS[1], '\\2C' .. ARGV[3] .. string.sub(v, 11, 42) .. ARGV[4],"
              + " 'PX', ARGV[5])\n"
              + "return 1\n");

  /** ARGV: now (8 bytes), token. Returns 1 if deleted, else 0. */
  static final Script RELEASE =
      new Script("release", OWNS + "redis.call('DEL', KEYS[1])\n" + "return 1\n");

  /** No ARGV. Returns the record in format 2 (format 1 converted), or nil if absent. */
  static final Script FIND = new Script("find", RECORD + "return record(KEYS[1])\n");

  /**
   * Start-up check: writes, reads, expires and deletes a probe key under the prefix with every
   * command the scripts use, so a missing permission (the scripts themselves or a command or key
   * pattern they need) shows at start.
   */
  static final Script CHECK =
      new Script(
          "startup check",
          "redis.call('SET', KEYS[1], 'x', 'PX', 1000)\n"
              + "redis.call('GET', KEYS[1])\n"
              + "redis.call('DEL', KEYS[1])\n"
              + "redis.call('HMGET', KEYS[1], 's')\n"
              + "return 1\n");

  static final Script[] ALL = {CLAIM, RENEW, COMPLETE, RELEASE, FIND, CHECK};

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
