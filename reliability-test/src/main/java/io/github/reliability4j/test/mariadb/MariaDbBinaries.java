package io.github.reliability4j.test.mariadb;

import io.github.reliability4j.test.services.Services;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.opentest4j.TestAbortedException;

/** Locates the MariaDB server binaries; skip-or-fail like {@link Services}. */
record MariaDbBinaries(Path mariadbd, Path installDb) {

  private static final List<String> EXTRA_DIRS =
      List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin");

  static Optional<MariaDbBinaries> find() {
    Optional<Path> server = which("mariadbd");
    Optional<Path> install = which("mariadb-install-db");
    return server.isPresent() && install.isPresent()
        ? Optional.of(new MariaDbBinaries(server.get(), install.get()))
        : Optional.empty();
  }

  static MariaDbBinaries require() {
    return find().orElseThrow(() -> new IllegalStateException(missingMessage()));
  }

  /**
   * Skips the calling test with a message when the binaries are missing, or fails it when {@value
   * Services#REQUIRE_SERVICES_ENV}=true.
   */
  static void assumeAvailable() {
    if (find().isPresent()) {
      return;
    }
    if (Services.servicesRequired()) {
      throw new AssertionError(
          missingMessage() + " — failing because " + Services.REQUIRE_SERVICES_ENV + "=true");
    }
    throw new TestAbortedException(
        missingMessage()
            + " — skipping; set "
            + Services.REQUIRE_SERVICES_ENV
            + "=true to fail instead");
  }

  static String missingMessage() {
    return "MariaDB server binaries not found (mariadbd and mariadb-install-db on the PATH or in "
        + String.join(", ", EXTRA_DIRS)
        + "). Install them with: apt-get install mariadb-server";
  }

  private static Optional<Path> which(String name) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(EXTRA_DIRS);
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path p = Path.of(d, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
