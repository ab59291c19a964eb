package io.github.reliability4j.spring.routing;

import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * The bean that replaces the application's {@code DataSource} when replicas are configured: it
 * delegates to a {@link ReplicaRoutingDataSource} and, unlike it, owns the pools, so closing the
 * context closes the routing monitor, the primary pool and the replica pools created from URLs
 * (replica beans are closed by their own bean definitions).
 *
 * <p>{@code unwrap(ReplicaRoutingDataSource.class)} returns the router; {@link #getPrimary()} the
 * original bean.
 */
public final class RoutedDataSource extends DelegatingDataSource implements AutoCloseable {

  private final ReplicaRoutingDataSource routing;
  private final DataSource primary;
  private final List<DataSource> ownedReplicas;
  private final Map<String, DataSource> replicas;

  RoutedDataSource(
      ReplicaRoutingDataSource routing,
      DataSource primary,
      Map<String, DataSource> replicas,
      List<DataSource> ownedReplicas) {
    super(routing);
    this.routing = routing;
    this.primary = primary;
    this.replicas = Collections.unmodifiableMap(new LinkedHashMap<>(replicas));
    this.ownedReplicas = List.copyOf(ownedReplicas);
  }

  /** The replica pools by node name, in configuration order. */
  public Map<String, DataSource> getReplicas() {
    return replicas;
  }

  /** The router. */
  public ReplicaRoutingDataSource getRouting() {
    return routing;
  }

  /** The application's original DataSource, used as the primary. */
  public DataSource getPrimary() {
    return primary;
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws java.sql.SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    if (iface.isInstance(routing)) {
      return iface.cast(routing);
    }
    return primary.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws java.sql.SQLException {
    return iface.isInstance(this) || iface.isInstance(routing) || primary.isWrapperFor(iface);
  }

  @Override
  public void close() throws Exception {
    routing.close();
    for (DataSource ds : ownedReplicas) {
      if (ds instanceof AutoCloseable c) {
        c.close();
      }
    }
    if (primary instanceof AutoCloseable c) {
      c.close();
    }
  }

  @Override
  public String toString() {
    return "RoutedDataSource[" + routing + "]";
  }
}
