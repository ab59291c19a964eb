package io.github.reliability4j.spring.messaging;

import com.rabbitmq.client.AMQP;
import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;

/**
 * RabbitMQ: the connection is open, and for each named queue its depth (ready messages) and
 * consumer count, from a passive queue declaration on a fresh channel.
 *
 * <p>Rules, first match wins; the probe reports the worst queue:
 *
 * <ol>
 *   <li>{@code FAIL} if no connection can be opened, or it is not open, or a named queue does not
 *       exist (the broker closes the channel with 404), or a queue holds at least {@code failDepth}
 *       messages (off by default).
 *   <li>{@code WARN} if a queue holds at least {@code warnDepth} messages (default 1000), or has
 *       fewer than {@code minConsumers} consumers (default 0: off).
 *   <li>{@code PASS} otherwise.
 * </ol>
 *
 * <p>Observed value: the deepest queue's depth, in messages. Details per queue: {@code depth},
 * {@code consumers}. The connection comes from the application's Spring AMQP {@link
 * ConnectionFactory} (a caching factory shares its connection, so the probe opens no new one while
 * it is open). Unacknowledged messages are not part of the depth. Thread-safe.
 */
public final class RabbitQueueProbe implements Probe {

  private final ConnectionFactory connectionFactory;
  private final List<String> queues;
  private final long warnDepth;
  private final long failDepth;
  private final int minConsumers;

  private RabbitQueueProbe(Builder b) {
    this.connectionFactory = b.connectionFactory;
    this.queues = List.copyOf(b.queues);
    this.warnDepth = b.warnDepth;
    this.failDepth = b.failDepth;
    this.minConsumers = b.minConsumers;
  }

  public static Builder builder(ConnectionFactory connectionFactory) {
    return new Builder(connectionFactory);
  }

  @Override
  public ProbeResult check(ProbeContext context) throws Exception {
    Connection connection = connectionFactory.createConnection();
    if (!connection.isOpen()) {
      return ProbeResult.fail("RabbitMQ connection is not open");
    }
    HealthStatus worst = HealthStatus.PASS;
    String worstOutput = null;
    long deepest = 0;
    ProbeResult.Builder result = ProbeResult.builder(HealthStatus.PASS);
    for (String queue : queues) {
      HealthStatus status;
      String output;
      Map<String, Object> detail = new LinkedHashMap<>();
      try (com.rabbitmq.client.Channel channel = connection.createChannel(false)) {
        AMQP.Queue.DeclareOk ok = channel.queueDeclarePassive(queue);
        long depth = ok.getMessageCount();
        int consumers = ok.getConsumerCount();
        detail.put("depth", depth);
        detail.put("consumers", consumers);
        deepest = Math.max(deepest, depth);
        if (failDepth > 0 && depth >= failDepth) {
          status = HealthStatus.FAIL;
          output = "queue " + queue + " holds " + depth + " messages (fail at " + failDepth + ")";
        } else if (depth >= warnDepth) {
          status = HealthStatus.WARN;
          output = "queue " + queue + " holds " + depth + " messages (warn at " + warnDepth + ")";
        } else if (consumers < minConsumers) {
          status = HealthStatus.WARN;
          output =
              "queue " + queue + " has " + consumers + " consumers (expected " + minConsumers + ")";
        } else {
          status = HealthStatus.PASS;
          output = null;
        }
      } catch (java.io.IOException e) {
        // A missing queue closes the channel with 404 NOT_FOUND.
        status = HealthStatus.FAIL;
        output = "queue " + queue + " cannot be inspected: " + rootMessage(e);
        detail.put("error", output);
      }
      result.detail(queue, detail);
      if (status.isWorseThan(worst)) {
        worst = status;
        worstOutput = output;
      } else if (status == worst && worstOutput == null) {
        worstOutput = output;
      }
    }
    return result.status(worst).observed(deepest, "messages").output(worstOutput).build();
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) {
      c = c.getCause();
    }
    return c.getMessage() != null ? c.getMessage() : c.toString();
  }

  /** Builder for {@link RabbitQueueProbe}. */
  public static final class Builder {
    private final ConnectionFactory connectionFactory;
    private final List<String> queues = new ArrayList<>();
    private long warnDepth = 1000;
    private long failDepth;
    private int minConsumers;

    private Builder(ConnectionFactory connectionFactory) {
      this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
    }

    /**
     * Adds queues whose depth and consumers are checked; without any, only the connection is.
     *
     * @throws IllegalArgumentException if a name is empty
     */
    public Builder queues(List<String> names) {
      for (String name : names) {
        if (name == null || name.isEmpty()) {
          throw new IllegalArgumentException("queue names must not be empty, but got " + names);
        }
        queues.add(name);
      }
      return this;
    }

    /**
     * Depth from which the probe warns; default 1000.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder warnDepth(long messages) {
      if (messages <= 0) {
        throw new IllegalArgumentException("warnDepth must be positive, but was " + messages);
      }
      this.warnDepth = messages;
      return this;
    }

    /**
     * Depth from which the probe fails; default off.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder failDepth(long messages) {
      if (messages <= 0) {
        throw new IllegalArgumentException("failDepth must be positive, but was " + messages);
      }
      this.failDepth = messages;
      return this;
    }

    /**
     * Fewest consumers a queue should have; fewer warns. Default 0 (off).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder minConsumers(int consumers) {
      if (consumers < 0) {
        throw new IllegalArgumentException(
            "minConsumers must not be negative, but was " + consumers);
      }
      this.minConsumers = consumers;
      return this;
    }

    /**
     * @throws IllegalStateException if failDepth is set below warnDepth
     */
    public RabbitQueueProbe build() {
      if (failDepth > 0 && failDepth < warnDepth) {
        throw new IllegalStateException(
            "failDepth (" + failDepth + ") must not be below warnDepth (" + warnDepth + ")");
      }
      return new RabbitQueueProbe(this);
    }
  }
}
