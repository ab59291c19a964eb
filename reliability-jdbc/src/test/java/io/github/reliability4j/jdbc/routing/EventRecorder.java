package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.CausalTokenCodec;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaReset;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Thread-safe listener that keeps what it saw, for assertions. */
final class EventRecorder implements RoutingListener {
  final List<RouteDecision> routes = new CopyOnWriteArrayList<>();
  final List<FallbackReason> fallbacks = new CopyOnWriteArrayList<>();
  final List<CausalTokenCodec.Rejection> rejections = new CopyOnWriteArrayList<>();
  final List<Boolean> waits = new CopyOnWriteArrayList<>();
  final List<String> stateChanges = new CopyOnWriteArrayList<>();
  final List<String> refusals = new CopyOnWriteArrayList<>();
  final List<String> resets = new CopyOnWriteArrayList<>();
  volatile LagSample lastSample;

  void clear() {
    routes.clear();
    fallbacks.clear();
    rejections.clear();
    waits.clear();
    stateChanges.clear();
    refusals.clear();
    resets.clear();
  }

  @Override
  public void onRoute(RouteDecision decision) {
    routes.add(decision);
  }

  @Override
  public void onFallback(FallbackReason reason, RouteDecision decision) {
    fallbacks.add(reason);
  }

  @Override
  public void onCausalWait(String replica, Duration waited, boolean covered) {
    waits.add(covered);
  }

  @Override
  public void onLagSample(LagSample sample) {
    lastSample = sample;
  }

  @Override
  public void onReplicaStateChange(String replica, boolean admitted, String why) {
    stateChanges.add(replica + (admitted ? "+" : "-") + " " + why);
  }

  @Override
  public void onReplicaReset(String replica, ReplicaReset reason, String detail) {
    resets.add(replica + " " + reason + " " + detail);
  }

  @Override
  public void onTokenRejected(String clusterId, CausalTokenCodec.Rejection reason, String token) {
    rejections.add(reason);
  }

  @Override
  public void onReadRefused(String reason) {
    refusals.add(reason);
  }
}
