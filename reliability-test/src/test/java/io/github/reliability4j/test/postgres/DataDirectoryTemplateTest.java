package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryTemplateTest {

  @TempDir Path dir;

  @Test
  void usedBytesEndsAtTheLastPageWithData() throws Exception {
    byte[] content = new byte[64 * 1024];
    content[0] = 1;
    content[8192 + 100] = 7;
    Path file = dir.resolve("000000010000000000000001");
    Files.write(file, content);

    assertThat(DataDirectoryTemplate.usedBytes(file)).isEqualTo(16384);

    Files.write(file, new byte[64 * 1024]);
    assertThat(DataDirectoryTemplate.usedBytes(file)).isZero();

    content[content.length - 1] = 1;
    Files.write(file, content);
    assertThat(DataDirectoryTemplate.usedBytes(file)).isEqualTo(content.length);
  }

  @Test
  void copySkipsServerStateFilesAndRestrictsPermissions() throws Exception {
    Path source = dir.resolve("source");
    Files.createDirectories(source.resolve("base/1"));
    Files.writeString(source.resolve("base/1/1259"), "catalog");
    Files.writeString(source.resolve("postmaster.pid"), "123");
    Files.writeString(source.resolve("epg-lock"), "");
    Path target = dir.resolve("target");

    DataDirectoryTemplate.copy(source, target);

    assertThat(Files.readString(target.resolve("base/1/1259"))).isEqualTo("catalog");
    assertThat(target.resolve("postmaster.pid")).doesNotExist();
    assertThat(target.resolve("epg-lock")).doesNotExist();
    assertThat(Files.getPosixFilePermissions(target))
        .containsExactlyInAnyOrderElementsOf(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(Arrays.asList(target.toFile().list())).containsExactly("base");
  }
}
