package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.test.health.AbstractProbeContract;
import io.github.reliability4j.test.services.Services;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.AmqpIOException;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * {@link RabbitQueueProbe} against the RabbitMQ server on 5672 with a queue of its own (unique
 * name): an empty queue passes; a deleted queue fails with the broker's answer in the output.
 * Blocking is tested where the probe obtains its connection: the connection factory blocks until
 * interrupted, as the JDBC contract's connection factory does.
 */
class RabbitQueueProbeContractTest extends AbstractProbeContract {

  private final String queue =
      "r4j-i19d-contract-" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);

  private CachingConnectionFactory factory;
  private RabbitAdmin rabbit;
  private volatile boolean closed;
  private final Gate gate = new Gate();

  @BeforeEach
  void declareQueue() {
    Services.requireRabbitMq();
    factory = RabbitIdempotentListenerTest.connectionFactory();
    rabbit = new RabbitAdmin(factory);
    rabbit.declareQueue(QueueBuilder.nonDurable(queue).build());
  }

  @AfterEach
  void deleteQueue() {
    gate.open();
    closed = true;
    if (rabbit != null) {
      rabbit.deleteQueue(queue);
      factory.destroy();
    }
  }

  /** The application's factory, blocking in {@code createConnection} while hanging. */
  private final class Blocking implements ConnectionFactory {
    @Override
    public Connection createConnection() throws AmqpException {
      try {
        gate.pass();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AmqpIOException(new InterruptedIOException("interrupted while connecting"));
      }
      return factory.createConnection();
    }

    @Override
    public String getHost() {
      return factory.getHost();
    }

    @Override
    public int getPort() {
      return factory.getPort();
    }

    @Override
    public String getVirtualHost() {
      return factory.getVirtualHost();
    }

    @Override
    public String getUsername() {
      return factory.getUsername();
    }

    @Override
    public void addConnectionListener(ConnectionListener listener) {
      factory.addConnectionListener(listener);
    }

    @Override
    public boolean removeConnectionListener(ConnectionListener listener) {
      return factory.removeConnectionListener(listener);
    }

    @Override
    public void clearConnectionListeners() {
      factory.clearConnectionListeners();
    }
  }

  @Override
  protected Probe probe() {
    return RabbitQueueProbe.builder(new Blocking()).queues(List.of(queue)).build();
  }

  @Override
  protected void makeHealthy() {
    gate.open();
    if (rabbit != null && !closed && rabbit.getQueueInfo(queue) == null) {
      rabbit.declareQueue(QueueBuilder.nonDurable(queue).build());
    }
  }

  @Override
  protected String makeFailing() {
    rabbit.deleteQueue(queue);
    return "queue " + queue + " cannot be inspected";
  }

  @Override
  protected boolean makeHanging() {
    gate.close();
    return true;
  }

  @Override
  protected boolean blockedInComponent() {
    return gate.blocked();
  }
}
