package io.github.reliability4j.test.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

class ClusterConfigTest {

  @Test
  void defaults() {
    ClusterConfig config = ClusterConfig.ofDefaults();

    assertThat(config.replicas()).isEqualTo(2);
    assertThat(config.startupTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(config.primaryPort()).isZero();
    assertThat(config.serverSettings()).isEmpty();
  }

  @Test
  void negativeReplicasAreRejectedWithTheValue() {
    assertThatThrownBy(() -> ClusterConfig.custom().replicas(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("replicas must be >= 0 (0 starts a primary only), but was -1");
    assertThatThrownBy(() -> PostgresCluster.start(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but was -3");
  }

  @Test
  void startupTimeoutMustBePositive() {
    assertThatThrownBy(() -> ClusterConfig.custom().startupTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("startupTimeout must be positive, but was PT0S");
    assertThatThrownBy(() -> ClusterConfig.custom().startupTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("startupTimeout must be positive, but was PT-1S");
    assertThatThrownBy(() -> ClusterConfig.custom().startupTimeout(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("startupTimeout must be positive, but was null");
  }

  @Test
  void primaryPortMustBeATcpPort() {
    assertThatThrownBy(() -> ClusterConfig.custom().primaryPort(65536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("primaryPort must be between 0 (pick a free port) and 65535, but was 65536");
    assertThatThrownBy(() -> ClusterConfig.custom().primaryPort(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but was -1");
  }

  @Test
  void settingsTheKitControlsAreRejectedWithWhatToDoInstead() {
    assertThatThrownBy(() -> ClusterConfig.custom().serverSetting("port", "5433"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serverSetting 'port' is controlled by the test kit")
        .hasMessageContaining("primaryPort(int)");
    assertThatThrownBy(() -> ClusterConfig.custom().serverSetting("recovery_min_apply_delay=1s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ReplicaNode.setApplyDelay(Duration)");
    for (String reserved : ClusterConfig.reservedSettings()) {
      assertThatThrownBy(() -> ClusterConfig.custom().serverSetting(reserved, "x"))
          .as(reserved)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + reserved + "'");
    }
  }

  @Test
  void malformedSettingsAreRejected() {
    assertThatThrownBy(() -> ClusterConfig.custom().serverSetting("Work Mem", "1MB"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but was 'Work Mem'");
    assertThatThrownBy(() -> ClusterConfig.custom().serverSetting("work_mem", "1MB\nfsync=on"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("single-line value");
    assertThatThrownBy(() -> ClusterConfig.custom().serverSetting("work_mem", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("but was null");
    assertThatThrownBy(() -> ClusterConfig.custom().serverSetting("work_mem"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "serverSetting must look like 'name=value', e.g. 'work_mem=16MB', but was 'work_mem'");
  }

  @Test
  void settingsThatCannotReplicateAreRejectedAtBuild() {
    assertThatThrownBy(
            () -> ClusterConfig.custom().replicas(2).serverSetting("wal_level", "minimal").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wal_level=minimal cannot stream WAL to replicas (replicas=2)")
        .hasMessageContaining("set replicas to 0");
    assertThatThrownBy(
            () -> ClusterConfig.custom().replicas(3).serverSetting("max_wal_senders=2").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max_wal_senders=2 is less than replicas=3")
        .hasMessageContaining("Raise max_wal_senders to at least 3");
    assertThatThrownBy(
            () ->
                ClusterConfig.custom().replicas(1).serverSetting("max_replication_slots=0").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max_replication_slots=0 is less than replicas=1");

    assertThat(
            ClusterConfig.custom()
                .replicas(0)
                .serverSetting("wal_level", "minimal")
                .build()
                .serverSettings())
        .containsEntry("wal_level", "minimal");
  }

  @Test
  void equalConfigsShareAKeyRegardlessOfSettingOrder() {
    ClusterConfig a =
        ClusterConfig.custom().serverSetting("work_mem=8MB").serverSetting("jit=off").build();
    ClusterConfig b =
        ClusterConfig.custom().serverSetting("jit", "off").serverSetting("work_mem", "8MB").build();

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(ClusterConfig.from(a).replicas(1).build());
    assertThat(ClusterConfig.from(a).build()).isEqualTo(a);
    assertThat(a.toString()).contains("replicas=2", "work_mem=8MB", "primaryPort=any");
  }

  @ReplicatedPostgres(replicas = -1)
  static class NegativeReplicas {}

  @ReplicatedPostgres(settings = "port=1")
  static class ReservedSetting {}

  @ReplicatedPostgres(startupTimeoutSeconds = 0)
  static class ZeroTimeout {}

  @ReplicatedPostgres(
      replicas = 1,
      settings = {"work_mem=8MB", "log_line_prefix=%m [%p] "})
  static class Valid {
    class Inner {}
  }

  static class NotAnnotated {}

  @Test
  void annotationAttributesAreValidatedWithTheClassAndAttributeNamed() {
    assertThatThrownBy(() -> ReplicatedPostgresExtension.configFor(NegativeReplicas.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("@ReplicatedPostgres on " + NegativeReplicas.class.getName())
        .hasMessageContaining("replicas must be >= 0");
    assertThatThrownBy(() -> ReplicatedPostgresExtension.configFor(ReservedSetting.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serverSetting 'port' is controlled by the test kit");
    assertThatThrownBy(() -> ReplicatedPostgresExtension.configFor(ZeroTimeout.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("startupTimeoutSeconds must be positive, but was 0");
    assertThatThrownBy(() -> ReplicatedPostgresExtension.configFor(NotAnnotated.class))
        .isInstanceOf(ExtensionConfigurationException.class)
        .hasMessageContaining("annotate the class with @ReplicatedPostgres");
  }

  @Test
  void annotationMapsToAConfigAndNestedClassesInheritIt() {
    ClusterConfig expected =
        ClusterConfig.custom()
            .replicas(1)
            .serverSetting("work_mem", "8MB")
            .serverSetting("log_line_prefix", "%m [%p] ")
            .build();

    assertThat(ReplicatedPostgresExtension.configFor(Valid.class)).isEqualTo(expected);
    assertThat(ReplicatedPostgresExtension.configFor(Valid.Inner.class)).isEqualTo(expected);
  }
}
