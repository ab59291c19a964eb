package io.github.reliability4j.jdbc.health;

import io.github.reliability4j.core.routing.ReplicaLagView;
import io.github.reliability4j.core.routing.ReplicaStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A minimal PostgreSQL lag view for tests, standing in for the routing module's lag monitor: byte
 * lag = pg_wal_lsn_diff(primary pg_current_wal_insert_lsn(), replica pg_last_wal_replay_lsn()),
 * time lag unknown. It queries on every call (the router returns its monitor's last samples
 * instead).
 */
final class SqlReplicaLagView implements ReplicaLagView {
  private final DataSource primary;
  private final Map<String, DataSource> replicas;
  private final Clock clock;

  SqlReplicaLagView(DataSource primary, Map<String, DataSource> replicas, Clock clock) {
    this.primary = primary;
    this.replicas = new LinkedHashMap<>(replicas);
    this.clock = clock;
  }

  @Override
  public Duration maxLag() {
    return Duration.ofSeconds(30);
  }

  @Override
  public List<ReplicaStatus> replicas() {
    List<ReplicaStatus> samples = new ArrayList<>();
    for (Map.Entry<String, DataSource> e : replicas.entrySet()) {
      try (Connection p = primary.getConnection();
          Connection r = e.getValue().getConnection()) {
        String insert = single(p, "SELECT pg_current_wal_insert_lsn()::text");
        String replay = single(r, "SELECT pg_last_wal_replay_lsn()::text");
        long bytes;
        try (PreparedStatement ps =
            p.prepareStatement("SELECT pg_wal_lsn_diff(?::pg_lsn, ?::pg_lsn)::bigint")) {
          ps.setString(1, insert);
          ps.setString(2, replay);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            bytes = Math.max(0, rs.getLong(1));
          }
        }
        samples.add(LagViews.available(e.getKey(), null, bytes, clock.instant()));
      } catch (SQLException ex) {
        samples.add(LagViews.unavailable(e.getKey(), clock.instant(), ex.getMessage()));
      }
    }
    return samples;
  }

  private static String single(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
