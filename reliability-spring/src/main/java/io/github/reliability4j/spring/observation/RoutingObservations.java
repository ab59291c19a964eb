package io.github.reliability4j.spring.observation;

import static io.github.reliability4j.spring.observation.ReliabilityObservations.*;

import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingListener;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.Locale;

/**
 * Routing decisions, fallbacks and causal waits as observations in the current trace (see {@link
 * ReliabilityObservations}). Called synchronously by the router on the thread that opens the
 * logical connection, so the observations become children of the request's observation. Never
 * throws into routing (the router's listener wrapper also guards it).
 */
final class RoutingObservations implements RoutingListener {

  private final ObservationRegistry registry;

  RoutingObservations(ObservationRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onRoute(RouteDecision d) {
    Observation.createNotStarted(ROUTING_DECISION, registry)
        .contextualName("route to " + d.node())
        .lowCardinalityKeyValue(NODE, d.node())
        .lowCardinalityKeyValue(ROLE, String.valueOf(d.role()).toLowerCase(Locale.ROOT))
        .lowCardinalityKeyValue(ACCESS, d.write() ? "write" : "read")
        .start()
        .stop();
  }

  @Override
  public void onFallback(FallbackReason reason, RouteDecision decision) {
    Observation.createNotStarted(ROUTING_FALLBACK, registry)
        .contextualName("routing fallback")
        .lowCardinalityKeyValue(REASON, reason.name().toLowerCase(Locale.ROOT))
        .highCardinalityKeyValue(NODE, decision == null ? "none" : decision.node())
        .start()
        .stop();
  }

  @Override
  public void onCausalWait(String replica, Duration waited, boolean covered) {
    Observation.createNotStarted(ROUTING_CAUSAL_WAIT, registry)
        .contextualName("causal wait on " + replica)
        .lowCardinalityKeyValue(NODE, replica)
        .lowCardinalityKeyValue(COVERED, Boolean.toString(covered))
        .highCardinalityKeyValue(WAITED, waited.toString())
        .start()
        .stop();
  }
}
