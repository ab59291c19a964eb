package io.github.reliability4j.spring.internal;

/**
 * The HTTP request's consistency session as the idempotency filter sees it, published as the
 * request attribute {@link #ATTRIBUTE} by the routing module's session filter when replicas are
 * configured. Not API.
 */
public interface RequestConsistency {

  /** Request attribute under which the session filter publishes this request's instance. */
  String ATTRIBUTE = RequestConsistency.class.getName();

  /**
   * Advances the request's session to the primary's current replication position (one query on the
   * primary pool), so the token sent back covers every write committed so far — in particular the
   * write whose stored response is being replayed.
   *
   * @throws Exception when the primary cannot be asked; the session is left as it was
   */
  void advanceToPrimary() throws Exception;
}
