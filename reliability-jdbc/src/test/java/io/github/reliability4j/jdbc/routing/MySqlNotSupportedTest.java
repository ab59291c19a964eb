package io.github.reliability4j.jdbc.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * MySQL 8 has no tested position-based dialect yet: configuring it for position-based reads fails
 * at start with a message naming the time-window alternative, which keeps working. A stub
 * connection stands in for MySQL (there is no MySQL server here); only its metadata is read.
 */
class MySqlNotSupportedTest {

  static TestDataSource mysql(String url) {
    DatabaseMetaData md =
        (DatabaseMetaData)
            Proxy.newProxyInstance(
                MySqlNotSupportedTest.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class},
                (proxy, m, args) ->
                    switch (m.getName()) {
                      case "getDatabaseProductName" -> "MySQL";
                      case "getDatabaseProductVersion" -> "8.0.36";
                      case "getURL" -> url;
                      default -> throw new UnsupportedOperationException(m.getName());
                    });
    return new TestDataSource() {
      @Override
      public Connection getConnection() {
        return (Connection)
            Proxy.newProxyInstance(
                MySqlNotSupportedTest.class.getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, m, args) ->
                    switch (m.getName()) {
                      case "getMetaData" -> md;
                      case "isValid" -> true;
                      case "isClosed", "getAutoCommit", "isReadOnly" -> false;
                      case "close", "setNetworkTimeout" -> null;
                      default -> throw new UnsupportedOperationException(m.getName());
                    });
      }
    };
  }

  @Test
  void detectedMySqlPrimaryFailsAtStartNamingTheTimeWindowMode() {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("orders", mysql("jdbc:mysql://db:3306/app"))
            .replica("orders-ro", mysql("jdbc:mysql://db-ro:3306/app"))
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining("primary 'orders' is MySQL 8.0.36")
        .hasMessageContaining("not supported for position-based read-your-writes")
        .hasMessageContaining("TimeWindowReplicationDialect.of(window)")
        .extracting(e -> ((RoutingConfigurationException) e).getNode())
        .isEqualTo("orders");
  }

  @Test
  void mariaDbDialectConfiguredForMySqlFailsAtStart() {
    RoutingConfig config =
        RoutingConfig.custom()
            .primary("orders", mysql("jdbc:mysql://db:3306/app"))
            .dialect(MariaDbReplicationDialect.INSTANCE)
            .monitor(false)
            .build();
    assertThatThrownBy(() -> new ReplicaRoutingDataSource(config))
        .isInstanceOf(RoutingConfigurationException.class)
        .hasMessageContaining(
            "primary 'orders': MariaDbReplicationDialect needs MariaDB, but"
                + " jdbc:mysql://db:3306/app is MySQL 8.0.36")
        .hasMessageContaining("TimeWindowReplicationDialect")
        .extracting(e -> ((RoutingConfigurationException) e).getNode())
        .isEqualTo("orders");
  }

  @Test
  void timeWindowModeStillWorksOnMySql() {
    try (ReplicaRoutingDataSource ds =
        new ReplicaRoutingDataSource(
            RoutingConfig.custom()
                .primary("orders", mysql("jdbc:mysql://db:3306/app"))
                .replica("orders-ro", mysql("jdbc:mysql://db-ro:3306/app"))
                .dialect(TimeWindowReplicationDialect.of(Duration.ofSeconds(2)))
                .monitor(false)
                .build())) {
      assertThat(ds.dialect().isExact()).isFalse();
      assertThat(ds.lagView().replicas()).hasSize(1);
    }
  }
}
