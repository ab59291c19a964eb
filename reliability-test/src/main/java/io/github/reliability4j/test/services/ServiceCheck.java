package io.github.reliability4j.test.services;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.opentest4j.TestAbortedException;

/** The decision logic behind {@link Services}, with host, port and environment injected. */
final class ServiceCheck {

  private ServiceCheck() {}

  static void require(Service service, String host, int port, Duration timeout, boolean required) {
    String problem = probe(service.protocol(), host, port, timeout);
    if (problem == null) {
      return;
    }
    String message = message(service, host, port, problem, required);
    if (required) {
      throw new AssertionError(message);
    }
    throw new TestAbortedException(message);
  }

  static String message(Service service, String host, int port, String problem, boolean required) {
    return service.displayName()
        + " at "
        + host
        + ":"
        + port
        + " is not available ("
        + problem
        + "). Start it with: "
        + service.startCommand()
        + (required
            ? " — failing because " + Services.REQUIRE_SERVICES_ENV + "=true"
            : " — skipping; set " + Services.REQUIRE_SERVICES_ENV + "=true to fail instead");
  }

  /** Returns null when the service answered, else what went wrong. */
  static String probe(Service.Protocol protocol, String host, int port, Duration timeout) {
    int millis = (int) Math.max(1, timeout.toMillis());
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), millis);
      socket.setSoTimeout(millis);
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      switch (protocol) {
        case POSTGRES:
          DataOutputStream data = new DataOutputStream(out);
          data.writeInt(8);
          data.writeInt(80877103); // SSLRequest
          data.flush();
          int answer = in.read();
          return answer == 'S' || answer == 'N'
              ? null
              : "unexpected answer to a PostgreSQL SSLRequest: " + describe(answer);
        case SERVER_GREETS:
          int first = in.read();
          return first >= 0 ? null : "connection closed without a handshake";
        case REDIS:
          out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          int reply = in.read();
          return reply == '+' || reply == '-'
              ? null
              : "unexpected answer to Redis PING: " + describe(reply);
        case AMQP:
          out.write(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1});
          out.flush();
          int frame = in.read();
          return frame == 1
              ? null
              : "unexpected answer to the AMQP 0-9-1 header: " + describe(frame);
        default:
          throw new AssertionError(protocol);
      }
    } catch (IOException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static String describe(int b) {
    return b < 0 ? "connection closed" : "byte " + b;
  }
}
