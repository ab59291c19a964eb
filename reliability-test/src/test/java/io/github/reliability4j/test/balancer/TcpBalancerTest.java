package io.github.reliability4j.test.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The balancer against real sockets: echo servers that prefix each reply with their name. */
class TcpBalancerTest {

  final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  /** Accepts connections; answers each line with "name:line". */
  final class NamedEcho implements AutoCloseable {
    final ServerSocket server;
    final String name;

    NamedEcho(String name) throws IOException {
      this.name = name;
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket s = server.accept();
                    Thread h = new Thread(() -> serve(s));
                    h.setDaemon(true);
                    h.start();
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      closeables.add(this);
    }

    private void serve(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        int b;
        StringBuilder line = new StringBuilder();
        while ((b = in.read()) >= 0) {
          if (b == '\n') {
            out.write((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            line.setLength(0);
          } else {
            line.append((char) b);
          }
        }
      } catch (IOException e) {
        // client gone
      }
    }

    InetSocketAddress address() {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** The reply to {@code line}, or null if the connection is closed or broken. */
  static String ask(Socket s, String line) {
    try {
      s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      StringBuilder b = new StringBuilder();
      int c;
      while ((c = s.getInputStream().read()) >= 0 && c != '\n') {
        b.append((char) c);
      }
      return c < 0 ? null : b.toString();
    } catch (IOException e) {
      return null;
    }
  }

  Socket connect(TcpBalancer lb) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), lb.port());
    closeables.add(s);
    return s;
  }

  @Test
  void eachNewConnectionGoesToTheNextBackendAndStaysThere() throws Exception {
    NamedEcho a = new NamedEcho("a");
    NamedEcho b = new NamedEcho("b");
    TcpBalancer lb = TcpBalancer.start(List.of(a.address(), b.address()));
    closeables.add(0, lb);

    List<String> served = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Socket s = connect(lb);
      String first = ask(s, "x" + i);
      served.add(first.substring(0, 1));
      assertThat(ask(s, "again")).startsWith(first.substring(0, 1) + ":");
      assertThat(first).endsWith(":x" + i);
    }
    assertThat(served).containsExactly("a", "b", "a", "b", "a", "b");
    assertThat(lb.connectionsTo(a.address())).isEqualTo(3);
    assertThat(lb.connectionsTo(b.address())).isEqualTo(3);
  }

  @Test
  void switchToDropsOldConnectionsAndSendsNewOnesToTheNewServers() throws Exception {
    NamedEcho a = new NamedEcho("a");
    NamedEcho b = new NamedEcho("b");
    TcpBalancer lb = TcpBalancer.startOnPorts(a.server.getLocalPort());
    closeables.add(0, lb);
    Socket old = connect(lb);
    assertThat(ask(old, "1")).isEqualTo("a:1");

    lb.switchTo(List.of(b.address()));

    assertThat(ask(old, "2")).as("the old connection is closed").isNull();
    assertThat(ask(connect(lb), "3")).isEqualTo("b:3");
    assertThat(lb.backends()).containsExactly(b.address());
  }

  @Test
  void aRefusingBackendClosesTheClientConnection() throws Exception {
    NamedEcho gone = new NamedEcho("gone");
    InetSocketAddress address = gone.address();
    gone.close();
    TcpBalancer lb = TcpBalancer.start(List.of(address));
    closeables.add(0, lb);
    assertThat(ask(connect(lb), "1")).isNull();
  }

  @Test
  void closeEndsConnectionsAndIsIdempotent() throws Exception {
    NamedEcho a = new NamedEcho("a");
    TcpBalancer lb = TcpBalancer.start(List.of(a.address()));
    Socket s = connect(lb);
    assertThat(ask(s, "1")).isEqualTo("a:1");
    lb.close();
    lb.close();
    assertThat(ask(s, "2")).isNull();
  }

  @Test
  void badBackendListsAreRefused() {
    assertThatThrownBy(() -> TcpBalancer.start(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one backend");
    List<InetSocketAddress> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> TcpBalancer.start(withNull))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null");
  }
}
