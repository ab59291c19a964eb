package io.github.reliability4j.test.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The owner file the test kits put in every temporary directory they create, naming the JVM's pid
 * and start time, so a later JVM can tell a directory whose owner died without running its shutdown
 * hook (kill -9) from one in use. Not API: shared by the PostgreSQL and MariaDB kits.
 */
public final class OwnerFiles {

  public static final String OWNER_FILE = "reliability4j-owner";

  private OwnerFiles() {}

  /** Writes this JVM's pid and start time into {@code dir}. */
  public static void write(Path dir) throws IOException {
    ProcessHandle self = ProcessHandle.current();
    String started = self.info().startInstant().map(Instant::toString).orElse("");
    Files.writeString(dir.resolve(OWNER_FILE), self.pid() + " " + started + "\n");
  }

  /**
   * Whether {@code dir}'s owner is gone: its pid is not alive, or was recycled by a process with
   * another start time. A directory without an owner file is stale once it is older than {@code
   * orphanAge} (it may be being created right now by another JVM).
   */
  public static boolean isStale(Path dir, Duration orphanAge) throws IOException {
    Path owner = dir.resolve(OWNER_FILE);
    if (!Files.exists(owner)) {
      Instant modified = Files.getLastModifiedTime(dir).toInstant();
      return modified.plus(orphanAge).isBefore(Instant.now());
    }
    String[] parts = Files.readString(owner, StandardCharsets.UTF_8).trim().split(" ");
    long pid = Long.parseLong(parts[0]);
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty() || !process.get().isAlive()) {
      return true;
    }
    String started = process.get().info().startInstant().map(Instant::toString).orElse("");
    return parts.length > 1
        && !parts[1].isEmpty()
        && !started.isEmpty()
        && !parts[1].equals(started);
  }
}
