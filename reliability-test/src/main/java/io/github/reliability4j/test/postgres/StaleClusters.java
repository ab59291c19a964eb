package io.github.reliability4j.test.postgres;

import io.github.reliability4j.test.internal.OwnerFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cleans up after JVMs that died without running their shutdown hook (kill -9, a forked test JVM
 * killed on timeout): their servers keep running and their directories stay. Every directory the
 * kit creates holds an owner file naming the JVM's pid and start time; a directory whose owner is
 * gone has its servers stopped and is deleted. Runs once per JVM, before the first start.
 */
final class StaleClusters {

  private static final Logger LOG = LoggerFactory.getLogger(StaleClusters.class);
  static final String OWNER_FILE = OwnerFiles.OWNER_FILE;
  static final String PREFIX = "reliability4j-pg-";
  private static final Duration ORPHAN_WITHOUT_OWNER_AGE = Duration.ofMinutes(10);
  private static final AtomicBoolean DONE = new AtomicBoolean();

  private StaleClusters() {}

  static void writeOwner(Path dir) {
    try {
      OwnerFiles.write(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the owner file of " + dir, e);
    }
  }

  static void reapOnce(Path tempDir) {
    if (!DONE.compareAndSet(false, true)) {
      return;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tempDir, PREFIX + "*")) {
      for (Path dir : dirs) {
        if (Files.isDirectory(dir) && isStale(dir)) {
          reap(dir);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not look for stale clusters in {}: {}", tempDir, e.toString());
    }
  }

  static boolean isStale(Path dir) throws IOException {
    return OwnerFiles.isStale(dir, ORPHAN_WITHOUT_OWNER_AGE);
  }

  static void reap(Path dir) throws IOException {
    LOG.info("Removing PostgreSQL cluster left behind by a dead JVM: {}", dir);
    try (Stream<Path> files = Files.walk(dir, 3)) {
      files
          .filter(p -> p.getFileName().toString().equals("postmaster.pid"))
          .forEach(StaleClusters::stopPostmaster);
    }
    EmbeddedPostgresCluster.deleteRecursively(dir);
  }

  private static void stopPostmaster(Path pidFile) {
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
      if (lines.size() < 2) {
        return;
      }
      long pid = Long.parseLong(lines.get(0).trim());
      Path dataDir = Path.of(lines.get(1).trim());
      Optional<ProcessHandle> process = ProcessHandle.of(pid);
      // Only a postgres process serving exactly this directory is ours to stop.
      if (process.isEmpty()
          || !dataDir.equals(pidFile.getParent())
          || !process.get().info().command().orElse("").endsWith("postgres")) {
        return;
      }
      process.get().destroy();
      EmbeddedPostgresCluster.Deadline deadline =
          EmbeddedPostgresCluster.Deadline.after(Duration.ofSeconds(5));
      while (process.get().isAlive() && !deadline.passed()) {
        EmbeddedPostgresCluster.sleepPollInterval();
      }
      if (process.get().isAlive()) {
        process.get().destroyForcibly();
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not stop stale postmaster of {}: {}", pidFile, e.toString());
    }
  }
}
