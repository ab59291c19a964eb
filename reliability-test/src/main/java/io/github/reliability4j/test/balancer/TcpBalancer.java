package io.github.reliability4j.test.balancer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP load balancer on a free port of 127.0.0.1 that forwards each accepted connection to one
 * backend, chosen round robin per new connection (not per request: a pooled client connection stays
 * on the server it reached, as behind any layer-4 balancer).
 *
 * <pre>{@code
 * try (TcpBalancer lb = TcpBalancer.start(List.of(
 *     new InetSocketAddress("localhost", cluster.replica(0).port()),
 *     new InetSocketAddress("localhost", cluster.replica(1).port())))) {
 *   String readerUrl = "jdbc:postgresql://127.0.0.1:" + lb.port() + "/postgres?user=postgres";
 *   ...
 *   lb.switchTo(List.of(olderClone));   // another server behind the same address
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li>Bytes are forwarded unchanged in both directions; when either side closes or fails, both
 *       sockets of the pair are closed.
 *   <li>The n-th accepted connection goes to backend {@code n mod size} of the backend list in
 *       force when it is accepted. A backend that refuses the connection is not skipped: the client
 *       connection is closed, as a balancer without health checks would do.
 *   <li>{@link #switchTo(List)} affects connections accepted afterwards and closes every forwarded
 *       connection opened before it, so no client keeps talking to a replaced server (a restarted
 *       server drops its connections too).
 *   <li>{@link #close()} stops accepting and closes every connection. Idempotent.
 * </ul>
 *
 * Two platform daemon threads forward each connection; the balancer is meant for tests, not for
 * throughput. Thread-safe.
 */
public final class TcpBalancer implements AutoCloseable {

  private final ServerSocket server;
  private final Thread acceptor;
  private final AtomicLong next = new AtomicLong();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Map<InetSocketAddress, AtomicInteger> accepted = new ConcurrentHashMap<>();
  private volatile List<InetSocketAddress> backends;
  private volatile boolean closed;

  private TcpBalancer(ServerSocket server, List<InetSocketAddress> backends) {
    this.server = server;
    this.backends = backends;
    this.acceptor = new Thread(this::acceptLoop, "tcp-balancer-" + server.getLocalPort());
    acceptor.setDaemon(true);
  }

  /**
   * Listens on a free port of 127.0.0.1 and forwards to {@code backends}.
   *
   * @throws IllegalArgumentException if {@code backends} is empty or holds null
   * @throws IllegalStateException if no port can be bound
   */
  public static TcpBalancer start(List<InetSocketAddress> backends) {
    List<InetSocketAddress> list = checked(backends);
    ServerSocket s;
    try {
      s = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException("cannot bind a port on 127.0.0.1: " + e, e);
    }
    TcpBalancer b = new TcpBalancer(s, list);
    b.acceptor.start();
    return b;
  }

  /** Forwards to {@code localhost:port} for each port; see {@link #start(List)}. */
  public static TcpBalancer startOnPorts(int... ports) {
    List<InetSocketAddress> list = new ArrayList<>();
    for (int p : ports) {
      list.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
    }
    return start(list);
  }

  private static List<InetSocketAddress> checked(List<InetSocketAddress> backends) {
    Objects.requireNonNull(backends, "backends");
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("a balancer needs at least one backend, but got none");
    }
    for (InetSocketAddress a : backends) {
      if (a == null) {
        throw new IllegalArgumentException("backends must not contain null: " + backends);
      }
    }
    return List.copyOf(backends);
  }

  /** The port clients connect to (on 127.0.0.1). */
  public int port() {
    return server.getLocalPort();
  }

  /** The backends new connections are spread over, in round-robin order. */
  public List<InetSocketAddress> backends() {
    return backends;
  }

  /**
   * Replaces the backends and closes every connection forwarded so far: afterwards the balancer's
   * address reaches only the new servers.
   *
   * @throws IllegalArgumentException if {@code backends} is empty or holds null
   */
  public void switchTo(List<InetSocketAddress> backends) {
    this.backends = checked(backends);
    dropConnections();
  }

  /** Closes every connection forwarded so far (clients see a broken connection). */
  public void dropConnections() {
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  /** How many client connections were forwarded to {@code backend} since the start. */
  public int connectionsTo(InetSocketAddress backend) {
    AtomicInteger n = accepted.get(backend);
    return n == null ? 0 : n.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      List<InetSocketAddress> list = backends;
      InetSocketAddress target = list.get((int) Math.floorMod(next.getAndIncrement(), list.size()));
      accepted.computeIfAbsent(target, k -> new AtomicInteger()).incrementAndGet();
      open.add(client);
      Thread t = new Thread(() -> connect(client, target), "tcp-balancer-connect");
      t.setDaemon(true);
      t.start();
    }
  }

  private void connect(Socket client, InetSocketAddress target) {
    Socket upstream = new Socket();
    open.add(upstream);
    try {
      upstream.connect(target, 5_000);
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
    } catch (IOException e) {
      closePair(client, upstream);
      return;
    }
    if (closed) {
      closePair(client, upstream);
      return;
    }
    Thread back = new Thread(() -> pump(upstream, client), "tcp-balancer-pump");
    back.setDaemon(true);
    back.start();
    pump(client, upstream);
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (SocketException e) {
      // Closed by the other pump, by switchTo or by close().
    } catch (IOException e) {
      // Peer failure: close the pair below.
    } finally {
      closePair(from, to);
    }
  }

  private void closePair(Socket a, Socket b) {
    closeQuietly(a);
    closeQuietly(b);
    open.remove(a);
    open.remove(b);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Nothing to do: the socket is unusable either way.
    }
  }

  /** Stops accepting and closes every connection. Idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // Already closed.
    }
    dropConnections();
  }

  @Override
  public String toString() {
    return "TcpBalancer[127.0.0.1:" + port() + " -> " + backends + "]";
  }
}
