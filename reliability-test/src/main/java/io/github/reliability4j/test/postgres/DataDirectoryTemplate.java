package io.github.reliability4j.test.postgres;

import io.github.reliability4j.test.postgres.EmbeddedPostgresCluster.Deadline;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

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

  private static volatile Path template; // written under DataDirectoryTemplate.class
  private static Path root; // guarded by DataDirectoryTemplate.class

  /**
   * WAL segments are 16 MB files, pre-filled with zeros, of which a fresh cluster uses a few
   * hundred KB: per segment, the length that holds data. Copies write that prefix and extend the
   * file with a hole, which reads as the same zeros. Immutable once published.
   */
  private static volatile Map<Path, Long> walUsedBytes = Map.of(); // relative path -> bytes

  private DataDirectoryTemplate() {}

  static synchronized Path get(Deadline deadline) {
    if (template != null && Files.exists(template.resolve("PG_VERSION"))) {
      return template;
    }
    Path newRoot;
    try {
      newRoot = Files.createTempDirectory(StaleClusters.PREFIX + "template-");
      StaleClusters.writeOwner(newRoot);
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
      walUsedBytes = measureWal(data);
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
              if (NOT_COPIED.contains(file.getFileName().toString())) {
                return FileVisitResult.CONTINUE;
              }
              Path relative = source.relativize(file);
              Path to = target.resolve(relative.toString());
              Long used = source.equals(template) ? walUsedBytes.get(relative) : null;
              if (used == null) {
                Files.copy(file, to, StandardCopyOption.COPY_ATTRIBUTES);
              } else {
                copyPrefix(file, to, used, attrs.size());
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

  private static void copyPrefix(Path from, Path to, long prefix, long size) throws IOException {
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
        FileChannel out =
            FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long position = 0;
      while (position < prefix) {
        position += in.transferTo(position, prefix - position, out);
      }
      if (size > prefix) {
        // A single byte at the end sets the length; everything between stays a hole of zeros.
        out.write(ByteBuffer.wrap(new byte[1]), size - 1);
      }
    }
    Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
  }

  private static Map<Path, Long> measureWal(Path data) throws IOException {
    Path wal = data.resolve("pg_wal");
    Map<Path, Long> used = new HashMap<>();
    try (DirectoryStream<Path> segments = Files.newDirectoryStream(wal)) {
      for (Path segment : segments) {
        if (Files.isRegularFile(segment)
            && SEGMENT_NAME.matcher(segment.getFileName().toString()).matches()) {
          used.put(data.relativize(segment), usedBytes(segment));
        }
      }
    }
    return Map.copyOf(used);
  }

  private static final Pattern SEGMENT_NAME = Pattern.compile("[0-9A-F]{24}");
  private static final int PAGE = 8192;

  /** Length up to and including the last 8 KB page that holds a non-zero byte. */
  static long usedBytes(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      ByteBuffer page = ByteBuffer.allocate(PAGE);
      long used = 0;
      for (long offset = 0; offset < size; offset += PAGE) {
        page.clear();
        int read = channel.read(page, offset);
        if (read <= 0) {
          break;
        }
        for (int i = 0; i < read; i++) {
          if (page.get(i) != 0) {
            used = offset + PAGE;
            break;
          }
        }
      }
      return Math.min(used, size);
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
