package io.github.reliability4j.redis.idempotency;

import io.github.reliability4j.test.services.Services;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * A redis-server process of this test on a free port in a temporary directory, for tests that
 * pause, slow down or stop a server (never the machine's shared one). Stopped by {@link #close()}
 * and, should the JVM end first, by a shutdown hook; only this process is ever killed.
 */
final class RedisServer implements AutoCloseable {

  private final Process process;
  private final int port;
  private final Path dir;
  private final Thread hook;

  private RedisServer(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
    this.hook = new Thread(process::destroyForcibly, "redis-server-" + port + "-stop");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Starts redis-server with {@code extraArgs}; skips (or fails in CI) without the binary. */
  static RedisServer start(String... extraArgs) throws IOException, InterruptedException {
    Services.requireRedis(); // the binary comes with the machine's Redis
    Path binary = Path.of("/usr/bin/redis-server");
    if (!Files.isExecutable(binary)) {
      String msg = "redis-server binary not found at " + binary;
      if (Services.servicesRequired()) {
        throw new AssertionError(msg);
      }
      throw new TestAbortedException(msg);
    }
    Path dir = Files.createTempDirectory("r4j-redis-");
    int port = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(
        List.of(
            "--port",
            Integer.toString(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir.toString(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--enable-debug-command",
            "local",
            "--logfile",
            dir.resolve("redis.log").toString()));
    cmd.addAll(List.of(extraArgs));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    RedisServer server = new RedisServer(p, port, dir);
    server.awaitUp();
    return server;
  }

  int port() {
    return port;
  }

  Path dir() {
    return dir;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  long pid() {
    return process.pid();
  }

  /** Runs redis-cli against this server and returns its output. */
  String cli(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", "" + port));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("redis-cli " + String.join(" ", args) + " hung");
    }
    return out.trim();
  }

  private void awaitUp() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
      }
      try {
        if ("PONG".equals(cli("ping"))) {
          return;
        }
      } catch (IOException ignored) {
        // not up yet
      }
      Thread.sleep(50); // poll interval inside a deadline
    }
    throw new IOException("redis-server on port " + port + " did not start within 30 s");
  }

  /** Stops the process (forcibly) and waits for it to end. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // shutting down already
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }
}
