package io.github.reliability4j.redis.idempotency;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/*
 * Owner tokens of one store: 22 base64url characters encoding AES-128(k, salt || counter), with
 * the key k and the 64-bit salt drawn from SecureRandom when the store is created and the counter
 * incremented per token.
 *
 * Why not UUID.randomUUID() (what the store used before): it costs a synchronized SecureRandom
 * call (NativePRNG mixes SHA1PRNG output with /dev/urandom) and four allocations per claim, and it
 * gives no uniqueness guarantee beyond the birthday bound of 122 random bits.
 *
 * What fencing needs, and why this provides it:
 * - Uniqueness: a stale owner must never hold the token of the record that replaced its own. AES
 *   under one key is a permutation, and the counter never repeats within a store (2^64 claims), so
 *   two tokens of one store are never equal. Two stores use independent random keys, so their
 *   tokens collide only as two random 128-bit values do (probability about n^2 / 2^129 for n
 *   tokens in total), and a collision matters only if it also lands on the same key while the
 *   older owner is stale.
 * - Unguessability (not needed against honest stale owners, who present their own token, but the
 *   token is reachable through the public IdempotentExecution.ownerToken()): predicting another
 *   token from any number of observed ones means distinguishing AES from a random permutation; the
 *   key never leaves this object.
 *
 * A Cipher is not thread-safe, so each thread has its own, initialised with the store's key.
 */
final class OwnerTokens {

  /** Characters of a token: base64url of 16 bytes, without padding. */
  static final int LENGTH = 22;

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final SecretKeySpec key;
  private final long salt;
  private final AtomicLong counter = new AtomicLong();
  private final ThreadLocal<Block> blocks;

  private OwnerTokens(byte[] keyBytes, long salt) {
    this.key = new SecretKeySpec(keyBytes, "AES");
    this.salt = salt;
    this.blocks = ThreadLocal.withInitial(this::newBlock);
  }

  /** Tokens under a fresh random key and salt. */
  static OwnerTokens create() {
    SecureRandom random = new SecureRandom();
    byte[] k = new byte[16];
    random.nextBytes(k);
    return new OwnerTokens(k, random.nextLong());
  }

  /** Writes the next token's {@link #LENGTH} ASCII characters into {@code dest} at {@code off}. */
  void next(byte[] dest, int off) {
    Block b = blocks.get();
    LONG.set(b.in, 8, counter.getAndIncrement());
    try {
      b.cipher.doFinal(b.in, 0, 16, b.out, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES failed on a 16-byte block", e);
    }
    ENCODER.encode(b.out, b.encoded);
    System.arraycopy(b.encoded, 0, dest, off, LENGTH);
  }

  /** The next token as a string (tests; the store writes tokens straight into its records). */
  String next() {
    byte[] b = new byte[LENGTH];
    next(b, 0);
    return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
  }

  private Block newBlock() {
    try {
      Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key);
      Block b = new Block(c);
      LONG.set(b.in, 0, salt);
      return b;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/ECB/NoPadding is required of every Java platform", e);
    }
  }

  /** One thread's cipher and buffers. */
  private static final class Block {
    final Cipher cipher;
    final byte[] in = new byte[16];
    final byte[] out = new byte[16];
    final byte[] encoded = new byte[LENGTH];

    Block(Cipher cipher) {
      this.cipher = cipher;
    }
  }
}
