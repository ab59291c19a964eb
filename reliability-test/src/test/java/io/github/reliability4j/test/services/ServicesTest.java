package io.github.reliability4j.test.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class ServicesTest {

  // Bounds waits that succeed as soon as the fake server is scheduled: generous, so that a loaded
  // 2-core machine never turns a healthy fake server into "down".
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  // The only wait that must expire (nobody ever answers), so it can be short without racing.
  private static final Duration SILENT_TIMEOUT = Duration.ofMillis(500);

  // How long a fake server waits for its client to close. The server must never close first: a
  // client that is still writing its request (JDK 17's DataOutputStream.writeInt sends a
  // PostgreSQL SSLRequest as eight one-byte writes) would then get a reset and a "Broken pipe"
  // instead of reading the answer. Only bounds the acceptor thread if a client misbehaves.
  private static final int SERVER_DRAIN_MILLIS = 60_000;

  private final ExecutorService acceptor = Executors.newCachedThreadPool();

  @AfterEach
  void stopAcceptor() {
    acceptor.shutdownNow();
  }

  @Test
  void servicesRequiredOnlyWhenTheVariableSaysTrue() {
    assertThat(Services.servicesRequired(Map.of())).isFalse();
    assertThat(Services.servicesRequired(Map.of("RELIABILITY_REQUIRE_SERVICES", "false")))
        .isFalse();
    assertThat(Services.servicesRequired(Map.of("RELIABILITY_REQUIRE_SERVICES", "1"))).isFalse();
    assertThat(Services.servicesRequired(Map.of("RELIABILITY_REQUIRE_SERVICES", "true"))).isTrue();
    assertThat(Services.servicesRequired(Map.of("RELIABILITY_REQUIRE_SERVICES", " TRUE ")))
        .isTrue();
  }

  @Test
  void downServiceSkipsWithTheStartCommandWhenNotRequired() throws IOException {
    int port = closedPort();

    assertThatThrownBy(
            () -> ServiceCheck.require(Service.MARIADB, "127.0.0.1", port, TIMEOUT, false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("MariaDB at 127.0.0.1:" + port + " is not available")
        .hasMessageContaining(
            "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd")
        .hasMessageContaining("skipping; set RELIABILITY_REQUIRE_SERVICES=true to fail instead");
  }

  @Test
  void downServiceFailsWithTheSameCommandWhenRequired() throws IOException {
    int port = closedPort();

    assertThatThrownBy(() -> ServiceCheck.require(Service.REDIS, "127.0.0.1", port, TIMEOUT, true))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Redis at 127.0.0.1:" + port + " is not available")
        .hasMessageContaining("redis-server --daemonize yes")
        .hasMessageContaining("failing because RELIABILITY_REQUIRE_SERVICES=true");
    assertThatThrownBy(
            () -> ServiceCheck.require(Service.POSTGRESQL, "127.0.0.1", port, TIMEOUT, true))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("pg_ctlcluster --skip-systemctl-redirect");
  }

  @Test
  void listenerThatNeverAnswersCountsAsDown() throws IOException {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      // Accepted by the kernel's backlog, but nobody speaks: must not hang past the timeout.
      assertThatThrownBy(
              () ->
                  ServiceCheck.require(
                      Service.MARIADB, "127.0.0.1", silent.getLocalPort(), SILENT_TIMEOUT, false))
          .isInstanceOf(TestAbortedException.class)
          .hasMessageContaining("SocketTimeoutException");
    }
  }

  @Test
  void answeringServicesPass() throws IOException {
    try (ServerSocket mariaDb = fakeServer(in -> "\u0005greeting");
        ServerSocket postgres = fakeServer(in -> read(in, 8) ? "N" : "");
        ServerSocket redis = fakeServer(in -> read(in, 6) ? "+PONG\r\n" : "")) {
      for (boolean required : new boolean[] {false, true}) {
        assertThatCode(
                () ->
                    ServiceCheck.require(
                        Service.MARIADB, "127.0.0.1", mariaDb.getLocalPort(), TIMEOUT, required))
            .doesNotThrowAnyException();
        assertThatCode(
                () ->
                    ServiceCheck.require(
                        Service.POSTGRESQL,
                        "127.0.0.1",
                        postgres.getLocalPort(),
                        TIMEOUT,
                        required))
            .doesNotThrowAnyException();
        assertThatCode(
                () ->
                    ServiceCheck.require(
                        Service.REDIS, "127.0.0.1", redis.getLocalPort(), TIMEOUT, required))
            .doesNotThrowAnyException();
      }
    }
  }

  @Test
  void wrongProtocolOnThePortCountsAsDown() throws IOException {
    try (ServerSocket http = fakeServer(in -> "HTTP/1.1 400 Bad Request\r\n\r\n")) {
      assertThatThrownBy(
              () ->
                  ServiceCheck.require(
                      Service.POSTGRESQL, "127.0.0.1", http.getLocalPort(), TIMEOUT, false))
          .isInstanceOf(TestAbortedException.class)
          .hasMessageContaining("unexpected answer to a PostgreSQL SSLRequest");
      assertThatThrownBy(
              () ->
                  ServiceCheck.require(
                      Service.REDIS, "127.0.0.1", http.getLocalPort(), TIMEOUT, true))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("unexpected answer to Redis PING");
    }
  }

  private static boolean read(InputStream in, int bytes) {
    try {
      return in.readNBytes(bytes).length == bytes;
    } catch (IOException e) {
      return false;
    }
  }

  private ServerSocket fakeServer(Function<InputStream, String> answer) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor.submit(
        () -> {
          while (!server.isClosed()) {
            try (Socket client = server.accept()) {
              client.setSoTimeout(SERVER_DRAIN_MILLIS);
              String reply = answer.apply(client.getInputStream());
              client.getOutputStream().write(reply.getBytes(StandardCharsets.US_ASCII));
              client.getOutputStream().flush();
              // Close only after the client did: closing with unread input would reset the
              // connection and turn the answer into a "broken pipe" on the client.
              client.getInputStream().readAllBytes();
            } catch (IOException e) {
              // closed by the test or the client
            }
          }
          return null;
        });
    return server;
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
