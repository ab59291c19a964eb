package io.github.reliability4j.test.postgres;

import io.github.reliability4j.test.postgres.EmbeddedPostgresCluster.Deadline;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A freshly initialised, cleanly stopped data directory, made once per JVM (initdb is the slowest
 * step of a start) and copied for every node of every cluster. A clean stop leaves a consistent
 * cold base backup, so copies can serve as primary or as standby of a primary copied from the same
 * template.
 */
final class DataDirectoryTemplate {

  /** Files of a stopped server that must not travel to a copy. */
  private static final Set<String> NOT_COPIED =
      Set.of("postmaster.pid", "postmaster.opts", "epg-lock");

  private static Path template; // guarded by DataDirectoryTemplate.class
  private static Path root; // guarded by DataDirectoryTemplate.class

  private DataDirectoryTemplate() {}

  static synchronized Path get(Deadline deadline) {
    if (template != null && Files.exists(template.resolve("PG_VERSION"))) {
      return template;
    }
    Path newRoot;
    try {
      newRoot = Files.createTempDirectory("reliability4j-pg-template-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for PostgreSQL", e);
    }
    Path data = newRoot.resolve("data");
    Path log = newRoot.resolve("initdb.log");
    int port = EmbeddedPostgresCluster.freePort(Set.of());
    try {
      EmbeddedPostgres server =
          ServerLauncher.start(
              EmbeddedPostgresCluster.serverBuilder(
                  data, port, Map.of(), log, deadline.remaining()),
              log,
              "template");
      server.close();
      if (Files.exists(data.resolve("postmaster.pid"))) {
        throw new IllegalStateException("the template server did not stop cleanly");
      }
    } catch (IOException | RuntimeException e) {
      String message =
          "cannot initialise a PostgreSQL data directory (initdb): " + e.getMessage() + tail(log);
      EmbeddedPostgresCluster.deleteRecursively(newRoot);
      throw new IllegalStateException(message, e);
    }
    root = newRoot;
    template = data;
    return template;
  }

  /** Deletes the template; called from the JVM shutdown hook. */
  static synchronized void delete() {
    if (root != null) {
      EmbeddedPostgresCluster.deleteRecursively(root);
      root = null;
      template = null;
    }
  }

  static void copy(Path source, Path target) {
    try {
      Files.walkFileTree(
          source,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                throws IOException {
              Files.createDirectories(target.resolve(source.relativize(dir).toString()));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              if (!NOT_COPIED.contains(file.getFileName().toString())) {
                Files.copy(
                    file,
                    target.resolve(source.relativize(file).toString()),
                    StandardCopyOption.COPY_ATTRIBUTES);
              }
              return FileVisitResult.CONTINUE;
            }
          });
      // PostgreSQL refuses a data directory that others can read.
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + source + " to " + target, e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "\n--- last lines of "
          + log
          + " ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 12), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
