package io.github.reliability4j.test.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.test.internal.OwnerFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM killed with SIGKILL runs no shutdown hook: its mariadbd processes keep running and its
 * cluster directory stays. The next JVM's first kit start must stop those servers and delete the
 * directory, and must never stop a process that is not a mariadbd serving the stale directory.
 */
class StaleMariaDbClustersTest {

  @TempDir Path tmp;

  /** Child JVM: {@code hold} starts a cluster, prints its directory and waits to be killed. */
  public static void main(String[] args) throws Exception {
    MariaDbCluster cluster =
        MariaDbCluster.start(MariaDbClusterConfig.custom().replicas(1).build());
    LocalMariaDbCluster.Server primary = (LocalMariaDbCluster.Server) cluster.primary();
    System.out.println("READY " + primary.dataDir().getParent());
    System.out.flush();
    if (args.length > 0 && args[0].equals("hold")) {
      Thread.sleep(TimeUnit.MINUTES.toMillis(10));
    }
    cluster.close();
  }

  @Test
  void clusterOfAKilledJvmIsStoppedAndDeletedByTheNextJvmsFirstStart() throws Exception {
    MariaDbBinaries.require();
    Process holder = child("hold");
    Path dir;
    List<ProcessHandle> servers;
    try {
      dir = readyDirectory(holder);
      servers = servers(dir);
      assertThat(servers).as("mariadbd processes of the child's cluster").hasSize(2);
      holder.destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      holder.destroyForcibly();
    }
    try {
      assertThat(servers).allMatch(StaleMariaDbClustersTest::running);
      assertThat(dir).exists();
      assertThat(OwnerFiles.isStale(dir, java.time.Duration.ofMinutes(10))).isTrue();

      Process next = child("start-and-close");
      Path nextDir = readyDirectory(next);
      assertThat(next.waitFor(120, TimeUnit.SECONDS)).as("second child exits").isTrue();
      assertThat(next.exitValue()).isZero();

      assertThat(dir).as("stale cluster directory deleted").doesNotExist();
      assertThat(nextDir).as("the second JVM cleaned up its own cluster").doesNotExist();
      for (ProcessHandle server : servers) {
        assertThat(running(server)).as("stale mariadbd %d stopped", server.pid()).isFalse();
      }
    } finally {
      servers.forEach(ProcessHandle::destroyForcibly);
      LocalMariaDbCluster.deleteQuietly(dir);
    }
  }

  @Test
  void reaperStopsOnlyAMariadbdServingTheStaleDirectory() throws Exception {
    Process dead = new ProcessBuilder("true").start();
    dead.waitFor();
    Path stale = Files.createDirectory(tmp.resolve(LocalMariaDbCluster.PREFIX + "orphan"));
    Files.writeString(stale.resolve(OwnerFiles.OWNER_FILE), dead.pid() + " \n");
    Files.createDirectories(stale.resolve("primary"));
    // A pid file pointing at a live process that is not a mariadbd of this directory.
    Process stranger = new ProcessBuilder("sleep", "300").start();
    try {
      Files.writeString(stale.resolve("primary.pid"), stranger.pid() + "\n");
      Files.writeString(stale.resolve("replica-0.pid"), "not a pid\n");
      Path live = Files.createDirectory(tmp.resolve(LocalMariaDbCluster.PREFIX + "live"));
      OwnerFiles.write(live);

      LocalMariaDbCluster.reapStale(tmp);

      assertThat(stale).doesNotExist();
      assertThat(live).as("a directory whose owner is alive").exists();
      assertThat(stranger.isAlive()).as("a process that is not ours").isTrue();
    } finally {
      stranger.destroyForcibly();
    }
  }

  private Process child(String mode) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("-Djava.io.tmpdir=" + LocalMariaDbCluster.tempRoot());
    cmd.add(StaleMariaDbClustersTest.class.getName());
    cmd.add(mode);
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.PIPE)
        .start();
  }

  /** Reads the child's output until its READY line (or its end, which fails the test). */
  private static Path readyDirectory(Process child) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("READY ")) {
        Path dir = Path.of(line.substring(6));
        Thread drain =
            new Thread(
                () -> {
                  try {
                    while (out.readLine() != null) {
                      // discard: keeps the child from blocking on a full pipe
                    }
                  } catch (java.io.IOException ignored) {
                    // the child was killed
                  }
                });
        drain.setDaemon(true);
        drain.start();
        return dir;
      }
      seen.append(line).append('\n');
    }
    throw new AssertionError("child JVM ended without starting a cluster:\n" + seen);
  }

  /** Alive and not a zombie waiting for a parent that is not this JVM to reap it. */
  static boolean running(ProcessHandle h) {
    if (!h.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static List<ProcessHandle> servers(Path dir) throws Exception {
    List<ProcessHandle> servers = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path pidFile :
          (Iterable<Path>) files.filter(f -> f.toString().endsWith(".pid"))::iterator) {
        long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        h.ifPresent(servers::add);
      }
    }
    return servers;
  }
}
