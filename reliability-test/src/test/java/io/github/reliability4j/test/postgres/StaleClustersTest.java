package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaleClustersTest {

  @TempDir Path tmp;

  @Test
  void directoryOfALiveJvmIsKeptAndOneOfADeadJvmIsStale() throws Exception {
    Path live = Files.createDirectory(tmp.resolve(StaleClusters.PREFIX + "live"));
    StaleClusters.writeOwner(live);
    assertThat(StaleClusters.isStale(live)).isFalse();

    Process finished = new ProcessBuilder("true").start();
    finished.waitFor();
    Path dead = Files.createDirectory(tmp.resolve(StaleClusters.PREFIX + "dead"));
    Files.writeString(dead.resolve(StaleClusters.OWNER_FILE), finished.pid() + " \n");
    assertThat(StaleClusters.isStale(dead)).isTrue();

    Path recycledPid = Files.createDirectory(tmp.resolve(StaleClusters.PREFIX + "recycled"));
    Files.writeString(
        recycledPid.resolve(StaleClusters.OWNER_FILE),
        ProcessHandle.current().pid() + " 2001-01-01T00:00:00Z\n");
    assertThat(StaleClusters.isStale(recycledPid)).isTrue();

    Path fresh = Files.createDirectory(tmp.resolve(StaleClusters.PREFIX + "fresh"));
    assertThat(StaleClusters.isStale(fresh)).isFalse();
    Files.setLastModifiedTime(fresh, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    assertThat(StaleClusters.isStale(fresh)).isTrue();
  }

  @Test
  void reapingStopsTheServersOfADeadJvmAndDeletesTheDirectory() throws Exception {
    PostgresCluster cluster = PostgresCluster.start(0);
    try {
      Path baseDir = ((PgNode) cluster.primary()).dataDir.getParent();
      Files.writeString(baseDir.resolve(StaleClusters.OWNER_FILE), "999999999 \n");

      StaleClusters.reap(baseDir);

      assertThat(baseDir).doesNotExist();
      assertThatThrownBy(() -> cluster.primary().dataSource().getConnection())
          .isInstanceOf(SQLException.class);
    } finally {
      cluster.close();
    }
  }
}
