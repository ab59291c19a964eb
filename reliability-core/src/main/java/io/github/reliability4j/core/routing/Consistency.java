package io.github.reliability4j.core.routing;

import java.util.Objects;
import java.util.Optional;

/**
 * Binds a {@link ConsistencySession} and per-operation {@link RoutingOptions} to the current
 * thread, without any framework:
 *
 * <pre>{@code
 * try (Consistency.Scope s = Consistency.session()) {
 *   repository.updateProfile(...);             // commit captures the position into the session
 *   try (Consistency.Scope o = Consistency.options(RoutingOptions.of(ReadPreference.REPLICA))) {
 *     repository.loadProfile(...);             // served by a replica that has the update
 *   }
 * }
 * }</pre>
 *
 * <p>Scopes nest: closing one restores what was bound before it. A scope must be closed on the
 * thread that opened it, innermost first; otherwise {@link Scope#close()} throws {@link
 * IllegalStateException}. Nothing is inherited by other threads: pass the session explicitly and
 * bind it there with {@link #session(ConsistencySession)}.
 */
public final class Consistency {

  private static final ThreadLocal<ConsistencySession> SESSION = new ThreadLocal<>();
  private static final ThreadLocal<RoutingOptions> OPTIONS = new ThreadLocal<>();

  private Consistency() {}

  /** A scope closing which restores the previous binding. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** Binds a new, empty session to this thread. */
  public static Scope session() {
    return session(ConsistencySession.create());
  }

  /** Binds {@code session} to this thread. */
  public static Scope session(ConsistencySession session) {
    return bind(SESSION, Objects.requireNonNull(session, "session"));
  }

  /** Binds {@code options} to this thread, inheriting unset settings from an enclosing scope. */
  public static Scope options(RoutingOptions options) {
    Objects.requireNonNull(options, "options");
    RoutingOptions outer = OPTIONS.get();
    return bind(OPTIONS, outer == null ? options : options.orElse(outer));
  }

  /** Shorthand for {@code options(RoutingOptions.of(level))}. */
  public static Scope options(ConsistencyLevel level) {
    return options(RoutingOptions.of(level));
  }

  /** Shorthand for {@code options(RoutingOptions.of(preference))}. */
  public static Scope options(ReadPreference preference) {
    return options(RoutingOptions.of(preference));
  }

  /** The session bound to this thread. */
  public static Optional<ConsistencySession> currentSession() {
    return Optional.ofNullable(SESSION.get());
  }

  /** The options bound to this thread, or {@link RoutingOptions#none()}. */
  public static RoutingOptions currentOptions() {
    RoutingOptions o = OPTIONS.get();
    return o == null ? RoutingOptions.none() : o;
  }

  private static <T> Scope bind(ThreadLocal<T> slot, T value) {
    T previous = slot.get();
    slot.set(value);
    Thread owner = Thread.currentThread();
    return new Scope() {
      private boolean closed;

      @Override
      public void close() {
        if (closed) {
          return;
        }
        if (Thread.currentThread() != owner || slot.get() != value) {
          throw new IllegalStateException(
              "Consistency scope closed out of order or on another thread than it was opened on ("
                  + owner.getName()
                  + ")");
        }
        closed = true;
        if (previous == null) {
          slot.remove();
        } else {
          slot.set(previous);
        }
      }
    };
  }
}
