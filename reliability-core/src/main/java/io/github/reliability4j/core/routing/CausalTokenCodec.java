package io.github.reliability4j.core.routing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns a {@link ConsistencySession}'s position on one cluster into an opaque, tamper-evident
 * string and back, so a session can travel in an HTTP header or a message to another instance.
 *
 * <p>Format: {@code r4j1.<base64url(payload)>.<base64url(HMAC-SHA256(key, payload))>} where the
 * payload is {@code clusterId|dialect|position}, for a trusted session; {@code r4j2.} with the
 * payload {@code clusterId|dialect|position|flags} for an untrusted one, where {@code position} may
 * be empty and {@code flags} is {@code u} (untrusted). The flag is covered by the signature, so it
 * cannot be stripped without invalidating the token. Both versions are read: a version-1 token (no
 * flag) imports as trusted, as it always did; an instance that only knows version 1 rejects a
 * version-2 token as {@code MALFORMED}, which also makes its session untrusted. Every instance that
 * exchanges tokens must be configured with the same key. The string is not encrypted: it reveals
 * the cluster id and the replication position, nothing else.
 *
 * <p>Import never throws for bad input. A string that is malformed, carries a wrong signature,
 * names another cluster or another dialect yields a session that is <em>untrusted</em> on this
 * cluster (its read-your-writes reads go to the primary) and the listener's {@link
 * RoutingListener#onTokenRejected} is called on the importing thread; a listener exception is
 * swallowed. {@code null} or an empty string means "no token" and is not a rejection.
 *
 * <p>Thread-safe.
 */
public final class CausalTokenCodec {

  /** Why an imported string was rejected. */
  public enum Rejection {
    MALFORMED,
    BAD_SIGNATURE,
    FOREIGN_CLUSTER,
    FOREIGN_DIALECT,
    BAD_POSITION
  }

  private static final String PREFIX = "r4j1.";
  private static final String PREFIX_V2 = "r4j2.";
  private static final String UNTRUSTED_FLAG = "u";
  private static final int MIN_KEY_BYTES = 16;

  private final byte[] key;
  private final String clusterId;
  private final String dialect;
  private final Function<String, ReplicationPosition> parser;
  private final RoutingListener listener;

  /**
   * @param key HMAC key, at least 16 bytes, shared by every instance exchanging tokens
   * @param clusterId identity of the cluster this codec serves; must not contain {@code '|'}
   * @param dialect short name of the position type, e.g. {@code "postgresql"}
   * @param parser parses {@link ReplicationPosition#encode()} output; throws
   *     IllegalArgumentException for bad input
   * @throws IllegalArgumentException if the key is shorter than 16 bytes or an id contains '|'
   */
  public CausalTokenCodec(
      byte[] key,
      String clusterId,
      String dialect,
      Function<String, ReplicationPosition> parser,
      RoutingListener listener) {
    Objects.requireNonNull(key, "key");
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(
          "tokenKey must be at least " + MIN_KEY_BYTES + " bytes, but was " + key.length);
    }
    if (clusterId.indexOf('|') >= 0 || dialect.indexOf('|') >= 0) {
      throw new IllegalArgumentException(
          "clusterId and dialect must not contain '|', but were " + clusterId + ", " + dialect);
    }
    this.key = key.clone();
    this.clusterId = clusterId;
    this.dialect = dialect;
    this.parser = Objects.requireNonNull(parser, "parser");
    this.listener = listener == null ? RoutingListener.NOOP : listener;
  }

  public String clusterId() {
    return clusterId;
  }

  /**
   * The session's position on this codec's cluster as an opaque string, or empty if the session is
   * trusted and has no position. A session that is {@linkplain #isUntrusted untrusted} on this
   * cluster always exports a token, carrying the signed untrusted flag (and its position, if any):
   * the importing session is untrusted too, so its read-your-writes reads go to the primary. The
   * reason for the distrust is not exported.
   */
  public Optional<String> export(ConsistencySession session) {
    Optional<CausalToken> token = session.token(clusterId);
    if (isUntrusted(session)) {
      return Optional.of(encodeUntrusted(token.map(CausalToken::position).orElse(null)));
    }
    return token.map(t -> encode(t.position()));
  }

  /** Whether {@code session} is untrusted on this codec's cluster. */
  public boolean isUntrusted(ConsistencySession session) {
    return session.untrustedReason(clusterId).isPresent();
  }

  /** A new session holding the position in {@code exported}; see the class comment on failure. */
  public ConsistencySession importSession(String exported) {
    ConsistencySession session = ConsistencySession.create();
    importInto(session, exported);
    return session;
  }

  /**
   * Merges the position in {@code exported} into {@code session}.
   *
   * @return the rejection, or empty if the string was accepted (or null/empty)
   */
  public Optional<Rejection> importInto(ConsistencySession session, String exported) {
    if (exported == null || exported.isEmpty()) {
      return Optional.empty();
    }
    Rejection rejection;
    try {
      rejection = decodeInto(session, exported);
    } catch (RuntimeException e) {
      rejection = Rejection.MALFORMED;
    }
    if (rejection != null) {
      session.markUntrusted(clusterId, rejection.name());
      try {
        listener.onTokenRejected(clusterId, rejection, abbreviate(exported));
      } catch (RuntimeException ignored) {
        // A listener must not fail the caller's request.
      }
      return Optional.of(rejection);
    }
    return Optional.empty();
  }

  private Rejection decodeInto(ConsistencySession session, String exported) {
    boolean v2 = exported.startsWith(PREFIX_V2);
    if (!v2 && !exported.startsWith(PREFIX)) {
      return Rejection.MALFORMED;
    }
    String rest = exported.substring(PREFIX.length());
    int dot = rest.indexOf('.');
    if (dot <= 0 || dot != rest.lastIndexOf('.')) {
      return Rejection.MALFORMED;
    }
    byte[] payload = Base64.getUrlDecoder().decode(rest.substring(0, dot));
    byte[] mac = Base64.getUrlDecoder().decode(rest.substring(dot + 1));
    if (!MessageDigest.isEqual(mac, hmac(payload))) {
      return Rejection.BAD_SIGNATURE;
    }
    String[] parts = new String(payload, StandardCharsets.UTF_8).split("\\|", -1);
    if (parts.length != (v2 ? 4 : 3) || (v2 && !parts[3].equals(UNTRUSTED_FLAG))) {
      return Rejection.MALFORMED;
    }
    if (!parts[0].equals(clusterId)) {
      return Rejection.FOREIGN_CLUSTER;
    }
    if (!parts[1].equals(dialect)) {
      return Rejection.FOREIGN_DIALECT;
    }
    ReplicationPosition position = null;
    if (!(v2 && parts[2].isEmpty())) {
      try {
        position = parser.apply(parts[2]);
      } catch (RuntimeException e) {
        return Rejection.BAD_POSITION;
      }
    }
    if (v2) {
      session.markUntrusted(clusterId, "imported a token exported by an untrusted session");
    }
    if (position != null) {
      session.advance(new CausalToken(clusterId, position));
    }
    return null;
  }

  private String encode(ReplicationPosition position) {
    return sign(PREFIX, clusterId + "|" + dialect + "|" + position.encode());
  }

  private String encodeUntrusted(ReplicationPosition position) {
    String pos = position == null ? "" : position.encode();
    return sign(PREFIX_V2, clusterId + "|" + dialect + "|" + pos + "|" + UNTRUSTED_FLAG);
  }

  private String sign(String prefix, String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return prefix + b64.encodeToString(payload) + "." + b64.encodeToString(hmac(payload));
  }

  private byte[] hmac(byte[] payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 61) + "...";
  }
}
