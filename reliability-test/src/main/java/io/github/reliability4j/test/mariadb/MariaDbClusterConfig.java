package io.github.reliability4j.test.mariadb;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Immutable description of a local replicated MariaDB cluster: how many replicas, extra server
 * options and the startup deadline.
 *
 * <p>Every setter validates its argument at once and throws {@link IllegalArgumentException} naming
 * the setting, the value and what is allowed. Two configs are {@link #equals equal} when all their
 * settings are equal; the JUnit extension shares one cluster between all test classes that ask for
 * the same configuration. Instances are immutable and thread-safe.
 */
public final class MariaDbClusterConfig {

  /** Default number of replicas: {@value}. */
  public static final int DEFAULT_REPLICAS = 2;

  /** Default deadline for starting the whole cluster, including every replica catching up. */
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(120);

  private static final Pattern OPTION_NAME = Pattern.compile("[a-z][a-z0-9_-]*");

  /** Options the kit sets itself; a user's value would break replication or the lag controls. */
  private static final Set<String> RESERVED =
      Set.of(
          "datadir",
          "port",
          "socket",
          "pid-file",
          "bind-address",
          "server-id",
          "log-bin",
          "relay-log",
          "log-error",
          "user",
          "read-only",
          "skip-slave-start",
          "gtid-strict-mode");

  private final int replicas;
  private final int firstServerId;
  private final Duration startupTimeout;
  private final Map<String, String> serverOptions;

  private MariaDbClusterConfig(Builder b) {
    this.replicas = b.replicas;
    this.firstServerId = b.firstServerId;
    this.startupTimeout = b.startupTimeout;
    this.serverOptions = Collections.unmodifiableMap(new TreeMap<>(b.serverOptions));
  }

  /** A builder starting from the defaults (2 replicas, 120 s startup). */
  public static Builder custom() {
    return new Builder();
  }

  /** The defaults. */
  public static MariaDbClusterConfig ofDefaults() {
    return custom().build();
  }

  public int replicas() {
    return replicas;
  }

  /** The primary's {@code server_id}; replica {@code i} gets {@code firstServerId + 1 + i}. */
  public int firstServerId() {
    return firstServerId;
  }

  public Duration startupTimeout() {
    return startupTimeout;
  }

  /** Extra {@code mariadbd} options for every node, by name (dashes, no leading {@code --}). */
  public Map<String, String> serverOptions() {
    return serverOptions;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MariaDbClusterConfig c
        && c.replicas == replicas
        && c.firstServerId == firstServerId
        && c.startupTimeout.equals(startupTimeout)
        && c.serverOptions.equals(serverOptions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(replicas, firstServerId, startupTimeout, serverOptions);
  }

  @Override
  public String toString() {
    return "MariaDbClusterConfig[replicas="
        + replicas
        + ", firstServerId="
        + firstServerId
        + ", startupTimeout="
        + startupTimeout
        + ", serverOptions="
        + serverOptions
        + "]";
  }

  /** Builds a {@link MariaDbClusterConfig}. Not thread-safe. */
  public static final class Builder {
    private int replicas = DEFAULT_REPLICAS;
    private int firstServerId = 1;
    private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
    private final Map<String, String> serverOptions = new TreeMap<>();

    private Builder() {}

    /**
     * @throws IllegalArgumentException if {@code replicas} is negative or above 16
     */
    public Builder replicas(int replicas) {
      if (replicas < 0 || replicas > 16) {
        throw new IllegalArgumentException(
            "replicas must be between 0 and 16, but was " + replicas);
      }
      this.replicas = replicas;
      return this;
    }

    /**
     * The primary's {@code server_id} (default 1); replicas follow it. Give clusters that must be
     * told apart (e.g. a test of a replica of the wrong primary) different values.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder firstServerId(int firstServerId) {
      if (firstServerId < 1) {
        throw new IllegalArgumentException(
            "firstServerId must be positive, but was " + firstServerId);
      }
      this.firstServerId = firstServerId;
      return this;
    }

    /**
     * @throws IllegalArgumentException if not positive
     */
    public Builder startupTimeout(Duration startupTimeout) {
      Objects.requireNonNull(startupTimeout, "startupTimeout");
      if (startupTimeout.isNegative() || startupTimeout.isZero()) {
        throw new IllegalArgumentException(
            "startupTimeout must be positive, but was " + startupTimeout);
      }
      this.startupTimeout = startupTimeout;
      return this;
    }

    /**
     * An extra {@code mariadbd} option for every node, e.g. {@code ("binlog-format", "MIXED")}.
     * Underscores in the name are turned into dashes.
     *
     * @throws IllegalArgumentException if the name is not an option name, is one the kit controls
     *     (datadir, port, server-id, log-bin, read-only, gtid-strict-mode, ...), or the value
     *     contains whitespace
     */
    public Builder serverOption(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      String n = name.startsWith("--") ? name.substring(2) : name;
      n = n.replace('_', '-');
      if (!OPTION_NAME.matcher(n).matches()) {
        throw new IllegalArgumentException(
            "serverOption name must look like 'binlog-format', but was '" + name + "'");
      }
      if (RESERVED.contains(n)) {
        throw new IllegalArgumentException(
            "serverOption '" + n + "' is set by the kit itself and cannot be overridden");
      }
      if (value.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "serverOption " + n + " value must not contain whitespace, but was '" + value + "'");
      }
      serverOptions.put(n, value);
      return this;
    }

    /**
     * {@code "name=value"} form of {@link #serverOption(String, String)}.
     *
     * @throws IllegalArgumentException if there is no {@code '='}, or as {@link
     *     #serverOption(String, String)}
     */
    public Builder serverOption(String nameEqualsValue) {
      int eq = nameEqualsValue.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "serverOption must be 'name=value', but was '" + nameEqualsValue + "'");
      }
      return serverOption(nameEqualsValue.substring(0, eq), nameEqualsValue.substring(eq + 1));
    }

    public MariaDbClusterConfig build() {
      return new MariaDbClusterConfig(this);
    }
  }
}
