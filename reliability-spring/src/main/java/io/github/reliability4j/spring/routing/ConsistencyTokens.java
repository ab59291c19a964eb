package io.github.reliability4j.spring.routing;

import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Carries read-your-writes through messages: a producer puts {@link #currentToken()} into a message
 * header (conventionally {@link #HEADER}); the consumer runs its handler inside {@link
 * #callWithToken} so the handler's reads see the producer's writes. Works with any messaging API
 * (Spring Kafka, JMS, AMQP): it only reads and binds the thread's session.
 *
 * <pre>{@code
 * kafka.send(MessageBuilder.withPayload(event)
 *     .setHeader(ConsistencyTokens.HEADER, tokens.currentToken().orElse(null)).build());
 *
 * @KafkaListener(topics = "orders")
 * void on(Order o, @Header(name = ConsistencyTokens.HEADER, required = false) String token) {
 *   tokens.runWithToken(token, () -> handle(o));
 * }
 * }</pre>
 *
 * Thread-safe. A null, malformed or tampered token is ignored: the work then reads the primary for
 * tampered tokens and any fresh-enough replica for null ones.
 */
public final class ConsistencyTokens {

  /** Conventional message header name. */
  public static final String HEADER = "reliability-consistency";

  private final ReplicaRoutingDataSource routing;

  public ConsistencyTokens(ReplicaRoutingDataSource routing) {
    this.routing = Objects.requireNonNull(routing, "routing");
  }

  /**
   * The signed token of the thread's bound session (the current HTTP request's, inside a web
   * request), else of the data source's default session; empty when it holds no write.
   */
  public Optional<String> currentToken() {
    ConsistencySession session = Consistency.currentSession().orElseGet(routing::defaultSession);
    return routing.exportSession(session);
  }

  /** Runs {@code work} with a session imported from {@code token} bound to this thread. */
  public <T> T callWithToken(String token, Supplier<T> work) {
    ConsistencySession session =
        token == null || token.isBlank()
            ? ConsistencySession.create()
            : routing.importSession(token.strip());
    try (Consistency.Scope scope = Consistency.session(session)) {
      return work.get();
    }
  }

  /** Like {@link #callWithToken} for work without a result. */
  public void runWithToken(String token, Runnable work) {
    callWithToken(
        token,
        () -> {
          work.run();
          return null;
        });
  }
}
