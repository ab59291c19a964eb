package io.github.reliability4j.spring.observation;

/**
 * Names of the Micrometer observations reliability4j records and of their key values. Keys that
 * OpenTelemetry's semantic conventions define are used as they are ({@code db.system.name}, {@code
 * db.operation.name}, {@code http.request.method}, {@code http.route}); the others live under
 * {@code reliability.}. Low-cardinality keys become meter tags and span attributes;
 * high-cardinality keys are only on spans.
 *
 * <table>
 *   <caption>Observations</caption>
 *   <tr><th>observation</th><th>low-cardinality keys</th><th>high-cardinality keys</th></tr>
 *   <tr><td>{@value #IDEMPOTENCY_STORE} (one per store call of an idempotent request)</td>
 *       <td>{@code db.system.name}, {@code db.operation.name} (claim, complete, release, renew,
 *       find), {@value #OUTCOME} (claimed, takeover, replay, conflict, mismatch; completed,
 *       released, renewed, not_owner, found, absent; error), {@code http.request.method}, {@code
 *       http.route}, {@value #OPERATION}</td>
 *       <td>{@value #LEASE}</td></tr>
 *   <tr><td>{@value #ROUTING_DECISION}</td>
 *       <td>{@value #NODE}, {@value #ROLE}, {@value #ACCESS}</td><td>-</td></tr>
 *   <tr><td>{@value #ROUTING_FALLBACK}</td><td>{@value #REASON}</td><td>{@value #NODE}</td></tr>
 *   <tr><td>{@value #ROUTING_CAUSAL_WAIT}</td><td>{@value #NODE}, {@value #COVERED}</td>
 *       <td>{@value #WAITED}</td></tr>
 *   <tr><td>{@value #PROBE} (one per probe evaluation)</td>
 *       <td>{@value #PROBE_NAME}, {@value #STATUS}</td><td>{@value #PROBE_OUTPUT}</td></tr>
 * </table>
 *
 * The routing observations mark events (a decision, a fallback, a finished causal wait) inside the
 * current request's trace; their own duration is not meaningful, the causal wait's duration is in
 * {@value #WAITED} and in the {@code reliability.routing.causal.wait} timer (hence the other name:
 * the meter that the observation produces must not collide with it).
 *
 * <p>Spring Boot turns each observation into a timer of the same name (and a {@code .active}
 * long-task timer); {@link ReliabilityObservationAutoConfiguration} gives them descriptions.
 */
public final class ReliabilityObservations {

  private ReliabilityObservations() {}

  public static final String IDEMPOTENCY_STORE = "reliability.idempotency.store";
  public static final String ROUTING_DECISION = "reliability.routing.decision";
  public static final String ROUTING_FALLBACK = "reliability.routing.fallback";
  public static final String ROUTING_CAUSAL_WAIT = "reliability.routing.wait";
  public static final String PROBE = "reliability.health.probe";

  public static final String DB_SYSTEM = "db.system.name";
  public static final String DB_OPERATION = "db.operation.name";
  public static final String HTTP_METHOD = "http.request.method";
  public static final String HTTP_ROUTE = "http.route";
  public static final String OPERATION = "reliability.idempotency.operation";
  public static final String OUTCOME = "reliability.idempotency.outcome";
  public static final String LEASE = "reliability.idempotency.lease";
  public static final String NODE = "reliability.routing.node";
  public static final String ROLE = "reliability.routing.role";
  public static final String ACCESS = "reliability.routing.access";
  public static final String REASON = "reliability.routing.reason";
  public static final String COVERED = "reliability.routing.covered";
  public static final String WAITED = "reliability.routing.waited";
  public static final String PROBE_NAME = "reliability.health.probe.name";
  public static final String STATUS = "reliability.health.status";
  public static final String PROBE_OUTPUT = "reliability.health.output";
}
