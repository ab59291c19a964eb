package io.github.reliability4j.test.postgres;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Immutable description of an embedded replicated PostgreSQL cluster: how many hot-standby
 * replicas, extra server settings, the primary's port and the startup deadline.
 *
 * <p>Create one with {@link #custom()} or {@link #ofDefaults()}. Every setter validates its
 * argument at once and throws {@link IllegalArgumentException} naming the setting, the value and
 * what is allowed; {@link Builder#build()} additionally rejects combinations PostgreSQL cannot run
 * (for example {@code wal_level=minimal} with replicas).
 *
 * <p>Two configs are {@link #equals equal} when all their settings are equal; the JUnit extension
 * uses this to share one cluster between all test classes that ask for the same configuration.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ClusterConfig {

  /** Default number of replicas: {@value}. */
  public static final int DEFAULT_REPLICAS = 2;

  /**
   * Default deadline for starting the whole cluster, including every replica reaching streaming.
   */
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(120);

  private static final Pattern SETTING_NAME = Pattern.compile("[a-z_][a-z0-9_.]*");

  /**
   * Settings the kit controls itself; accepting them from users would break replication or the lag
   * controller.
   */
  private static final Map<String, String> RESERVED_SETTINGS =
      Map.ofEntries(
          Map.entry(
              "port", "choose the primary's port with primaryPort(int); replica ports are free"),
          Map.entry("data_directory", "the kit creates a temporary data directory per node"),
          Map.entry("listen_addresses", "nodes listen on localhost"),
          Map.entry("hot_standby", "replicas always run with hot_standby=on"),
          Map.entry("primary_conninfo", "the kit points every replica at the primary"),
          Map.entry("primary_slot_name", "the kit creates one replication slot per replica"),
          Map.entry(
              "recovery_min_apply_delay", "use ReplicaNode.setApplyDelay(Duration) per replica"),
          Map.entry("config_file", "the kit writes settings into each node's configuration"),
          Map.entry("hba_file", "the kit relies on the bundled trust authentication"),
          Map.entry("ident_file", "the kit relies on the bundled trust authentication"));

  private final int replicas;
  private final Duration startupTimeout;
  private final int primaryPort;
  private final Map<String, String> serverSettings;
  private final int replicaConninfoPortForTesting;

  private ClusterConfig(Builder builder) {
    this.replicas = builder.replicas;
    this.startupTimeout = builder.startupTimeout;
    this.primaryPort = builder.primaryPort;
    this.serverSettings = Collections.unmodifiableMap(new TreeMap<>(builder.serverSettings));
    this.replicaConninfoPortForTesting = builder.replicaConninfoPortForTesting;
  }

  /** Returns a builder starting from the defaults (2 replicas, 120 s startup, a free port). */
  public static Builder custom() {
    return new Builder();
  }

  /** Returns a builder initialised with all values of {@code base}. */
  public static Builder from(ClusterConfig base) {
    Objects.requireNonNull(base, "base");
    Builder builder = new Builder();
    builder.replicas = base.replicas;
    builder.startupTimeout = base.startupTimeout;
    builder.primaryPort = base.primaryPort;
    builder.serverSettings.putAll(base.serverSettings);
    builder.replicaConninfoPortForTesting = base.replicaConninfoPortForTesting;
    return builder;
  }

  /** Returns the default config: {@value #DEFAULT_REPLICAS} replicas, no extra settings. */
  public static ClusterConfig ofDefaults() {
    return custom().build();
  }

  /** Number of hot-standby replicas, {@code >= 0}. */
  public int replicas() {
    return replicas;
  }

  /** Deadline for starting the whole cluster, and for {@link PostgresCluster#resetReplicas()}. */
  public Duration startupTimeout() {
    return startupTimeout;
  }

  /** The primary's port, or 0 when the kit picks a free one. */
  public int primaryPort() {
    return primaryPort;
  }

  /** Extra server settings applied to every node, sorted by name. */
  public Map<String, String> serverSettings() {
    return serverSettings;
  }

  int replicaConninfoPortForTesting() {
    return replicaConninfoPortForTesting;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ClusterConfig)) {
      return false;
    }
    ClusterConfig that = (ClusterConfig) o;
    return replicas == that.replicas
        && primaryPort == that.primaryPort
        && replicaConninfoPortForTesting == that.replicaConninfoPortForTesting
        && startupTimeout.equals(that.startupTimeout)
        && serverSettings.equals(that.serverSettings);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        replicas, startupTimeout, primaryPort, serverSettings, replicaConninfoPortForTesting);
  }

  @Override
  public String toString() {
    return "ClusterConfig{replicas="
        + replicas
        + ", startupTimeout="
        + startupTimeout
        + ", primaryPort="
        + (primaryPort == 0 ? "any" : primaryPort)
        + ", serverSettings="
        + serverSettings
        + "}";
  }

  /** Builder for {@link ClusterConfig}. Not thread-safe. */
  public static final class Builder {
    private int replicas = DEFAULT_REPLICAS;
    private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
    private int primaryPort;
    private final Map<String, String> serverSettings = new TreeMap<>();
    private int replicaConninfoPortForTesting;

    private Builder() {}

    /**
     * Sets the number of hot-standby replicas.
     *
     * @throws IllegalArgumentException if {@code replicas < 0}
     */
    public Builder replicas(int replicas) {
      if (replicas < 0) {
        throw new IllegalArgumentException(
            "replicas must be >= 0 (0 starts a primary only), but was " + replicas);
      }
      this.replicas = replicas;
      return this;
    }

    /**
     * Sets the deadline for starting the cluster: the primary, every replica, and every replica's
     * WAL receiver reaching {@code streaming}. A cluster that is not ready by then fails with an
     * {@link IllegalStateException} instead of hanging.
     *
     * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
     */
    public Builder startupTimeout(Duration timeout) {
      if (timeout == null || timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("startupTimeout must be positive, but was " + timeout);
      }
      this.startupTimeout = timeout;
      return this;
    }

    /**
     * Sets the primary's TCP port; 0 (the default) picks a free port. Replicas always get free
     * ports. A port that is in use when the cluster starts fails the start with a message naming
     * it.
     *
     * @throws IllegalArgumentException if {@code port} is outside 0..65535
     */
    public Builder primaryPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "primaryPort must be between 0 (pick a free port) and 65535, but was " + port);
      }
      this.primaryPort = port;
      return this;
    }

    /**
     * Adds a server setting applied to every node (primary and replicas, which PostgreSQL requires
     * for settings such as {@code max_connections}). Values may contain spaces. A later call for
     * the same name replaces the value.
     *
     * @throws IllegalArgumentException if the name is not a valid PostgreSQL setting name, is one
     *     the kit controls itself (port, hot_standby, primary_conninfo, recovery_min_apply_delay,
     *     ...), or the value is null or contains a line break
     */
    public Builder serverSetting(String name, String value) {
      if (name == null || !SETTING_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "serverSetting name must be a PostgreSQL setting name like 'work_mem' (lower case"
                + " letters, digits, '_' and '.'), but was "
                + (name == null ? "null" : "'" + name + "'"));
      }
      String why = RESERVED_SETTINGS.get(name);
      if (why != null) {
        throw new IllegalArgumentException(
            "serverSetting '" + name + "' is controlled by the test kit and cannot be set: " + why);
      }
      if (value == null || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
        throw new IllegalArgumentException(
            "serverSetting '"
                + name
                + "' needs a single-line value, but was "
                + (value == null ? "null" : "'" + value + "'"));
      }
      serverSettings.put(name, value);
      return this;
    }

    /**
     * Adds a setting given as {@code name=value}, as in {@link ReplicatedPostgres#settings()}. The
     * name is trimmed and whitespace right after {@code '='} is dropped; the rest of the value is
     * kept as written, trailing spaces included.
     *
     * @throws IllegalArgumentException if there is no {@code '='}, or as {@link
     *     #serverSetting(String, String)}
     */
    public Builder serverSetting(String nameEqualsValue) {
      int eq = nameEqualsValue == null ? -1 : nameEqualsValue.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "serverSetting must look like 'name=value', e.g. 'work_mem=16MB', but was "
                + (nameEqualsValue == null ? "null" : "'" + nameEqualsValue + "'"));
      }
      return serverSetting(
          nameEqualsValue.substring(0, eq).trim(),
          nameEqualsValue.substring(eq + 1).stripLeading());
    }

    /** Makes replicas connect to a port where no primary listens, so they never stream. */
    Builder replicaConninfoPortForTesting(int port) {
      this.replicaConninfoPortForTesting = port;
      return this;
    }

    /**
     * Builds the config.
     *
     * @throws IllegalArgumentException if the settings cannot run {@link #replicas(int)} replicas
     *     ({@code wal_level=minimal}, or {@code max_wal_senders}/{@code max_replication_slots}
     *     below the number of replicas)
     */
    public ClusterConfig build() {
      if (replicas > 0) {
        String walLevel = serverSettings.get("wal_level");
        if (walLevel != null && walLevel.equalsIgnoreCase("minimal")) {
          throw new IllegalArgumentException(
              "serverSetting wal_level=minimal cannot stream WAL to replicas (replicas="
                  + replicas
                  + "); use wal_level=replica or logical, or set replicas to 0");
        }
        requireAtLeastReplicas("max_wal_senders");
        requireAtLeastReplicas("max_replication_slots");
      }
      return new ClusterConfig(this);
    }

    private void requireAtLeastReplicas(String setting) {
      String value = serverSettings.get(setting);
      if (value == null) {
        return;
      }
      int parsed;
      try {
        parsed = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "serverSetting " + setting + " must be an integer, but was '" + value + "'", e);
      }
      if (parsed < replicas) {
        throw new IllegalArgumentException(
            "serverSetting "
                + setting
                + "="
                + parsed
                + " is less than replicas="
                + replicas
                + "; every replica needs one. Raise "
                + setting
                + " to at least "
                + replicas
                + " or remove it (the kit then sets "
                + (replicas + 4)
                + ")");
      }
    }
  }

  static Set<String> reservedSettings() {
    return RESERVED_SETTINGS.keySet();
  }
}
