package io.github.reliability4j.core.routing.internal;

import io.github.reliability4j.core.routing.CausalTokenCodec;
import io.github.reliability4j.core.routing.FallbackReason;
import io.github.reliability4j.core.routing.LagSample;
import io.github.reliability4j.core.routing.ReplicaReset;
import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.core.routing.RoutingListener;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Fans out to listeners; a listener exception is logged and never reaches the caller. */
public final class SafeListener implements RoutingListener {

  private static final Logger LOG = LoggerFactory.getLogger(SafeListener.class);

  private final List<RoutingListener> delegates;

  public SafeListener(List<RoutingListener> delegates) {
    this.delegates = List.copyOf(delegates);
  }

  private void each(Consumer<RoutingListener> call) {
    for (RoutingListener l : delegates) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        threw(l, e);
      }
    }
  }

  private static void threw(RoutingListener l, RuntimeException e) {
    LOG.warn("RoutingListener {} threw; ignored", l, e);
  }

  @Override
  public void onRoute(RouteDecision decision) {
    // Once per routed read: a plain loop, so no capturing lambda is allocated.
    for (int i = 0; i < delegates.size(); i++) {
      RoutingListener l = delegates.get(i);
      try {
        l.onRoute(decision);
      } catch (RuntimeException e) {
        threw(l, e);
      }
    }
  }

  @Override
  public void onFallback(FallbackReason reason, RouteDecision decision) {
    each(l -> l.onFallback(reason, decision));
  }

  @Override
  public void onCausalWait(String replica, Duration waited, boolean covered) {
    each(l -> l.onCausalWait(replica, waited, covered));
  }

  @Override
  public void onLagSample(LagSample sample) {
    each(l -> l.onLagSample(sample));
  }

  @Override
  public void onReplicaStateChange(String replica, boolean admitted, String why) {
    each(l -> l.onReplicaStateChange(replica, admitted, why));
  }

  @Override
  public void onReplicaReset(String replica, ReplicaReset reason, String detail) {
    each(l -> l.onReplicaReset(replica, reason, detail));
  }

  @Override
  public void onTokenRejected(String clusterId, CausalTokenCodec.Rejection reason, String token) {
    each(l -> l.onTokenRejected(clusterId, reason, token));
  }

  @Override
  public void onWarning(String message) {
    each(l -> l.onWarning(message));
  }

  @Override
  public void onReadRefused(String reason) {
    each(l -> l.onReadRefused(reason));
  }
}
