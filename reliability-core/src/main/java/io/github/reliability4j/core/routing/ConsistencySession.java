package io.github.reliability4j.core.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The causal context of one logical actor (a user request, a message, a conversation): the
 * replication positions of the writes it has made or observed, one per cluster. A session is
 * independent of physical connections — it survives the pool handing out different connections —
 * and travels between processes through {@link CausalTokenCodec}.
 *
 * <p>Thread-safe. {@link #advance} is atomic and monotonic: the position held for a cluster only
 * ever moves to the least upper bound of itself and the merged position, whatever the order in
 * which concurrent writers merge.
 *
 * <p>A session into which a token was imported that could not be verified is <em>untrusted</em> for
 * that cluster: we cannot know which writes the caller has seen, so every read-your-writes read of
 * this session on that cluster goes to the primary for the rest of the session's life.
 */
public final class ConsistencySession {

  private record State(Map<String, ReplicationPosition> positions, Map<String, String> untrusted) {}

  private final AtomicReference<State> state = new AtomicReference<>(new State(Map.of(), Map.of()));

  private ConsistencySession() {}

  /** A new, empty session. */
  public static ConsistencySession create() {
    return new ConsistencySession();
  }

  /** Merges {@code token} into this session; never moves a position backwards. */
  public void advance(CausalToken token) {
    state.updateAndGet(
        s -> {
          ReplicationPosition current = s.positions.get(token.clusterId());
          ReplicationPosition merged =
              current == null ? token.position() : current.merge(token.position());
          if (merged.equals(current)) {
            return s;
          }
          Map<String, ReplicationPosition> next = new HashMap<>(s.positions);
          next.put(token.clusterId(), merged);
          return new State(Map.copyOf(next), s.untrusted);
        });
  }

  /** Merges every position of {@code other} into this session, including its untrusted marks. */
  public void advance(ConsistencySession other) {
    State o = other.state.get();
    o.positions.forEach((cluster, pos) -> advance(new CausalToken(cluster, pos)));
    o.untrusted.forEach(this::markUntrusted);
  }

  /** The position this session requires on {@code clusterId}, if any. */
  public Optional<CausalToken> token(String clusterId) {
    ReplicationPosition p = state.get().positions.get(clusterId);
    return p == null ? Optional.empty() : Optional.of(new CausalToken(clusterId, p));
  }

  /** Why this session is untrusted on {@code clusterId}, or empty if it is not. */
  public Optional<String> untrustedReason(String clusterId) {
    return Optional.ofNullable(state.get().untrusted.get(clusterId));
  }

  /**
   * Marks this session untrusted on {@code clusterId}: its read-your-writes reads there go to the
   * primary from now on. Used when an imported token fails verification or a commit's position
   * could not be read. Irreversible.
   */
  public void markUntrusted(String clusterId, String reason) {
    state.updateAndGet(
        s -> {
          if (s.untrusted.containsKey(clusterId)) {
            return s;
          }
          Map<String, String> next = new HashMap<>(s.untrusted);
          next.put(clusterId, reason);
          return new State(s.positions, Map.copyOf(next));
        });
  }

  @Override
  public String toString() {
    State s = state.get();
    return "ConsistencySession"
        + s.positions
        + (s.untrusted.isEmpty() ? "" : " untrusted=" + s.untrusted.keySet());
  }
}
