package io.github.reliability4j.examples.service;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.spring.routing.RoutedDataSource;
import io.github.reliability4j.test.postgres.PostgresCluster;
import io.github.reliability4j.test.postgres.ReplicaNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Trouble injection for the demo. Replica lag and a stopped replica need the embedded cluster (409
 * otherwise); pool exhaustion works on any database because it only holds connections of this
 * service's own primary pool.
 *
 * <ul>
 *   <li>{@code POST /trouble/replica-lag/on|off} pauses or resumes WAL replay on the replica.
 *   <li>{@code POST /trouble/pool-exhaust/on|off} takes every connection of the primary pool, or
 *       gives them back.
 *   <li>{@code POST /trouble/replica-stop}, {@code POST /trouble/replica-start}.
 *   <li>{@code GET /trouble} shows what is injected.
 * </ul>
 */
@RestController
@RequestMapping("/trouble")
class TroubleController {

  private final Optional<PostgresCluster> cluster;
  private final HikariDataSource primaryPool;
  private final List<Connection> held = new ArrayList<>();

  TroubleController(EmbeddedPostgres.Cluster cluster, DataSource dataSource) throws SQLException {
    this.cluster = cluster.get();
    DataSource primary =
        dataSource instanceof RoutedDataSource routed ? routed.getPrimary() : dataSource;
    this.primaryPool = primary.unwrap(HikariDataSource.class);
  }

  @GetMapping
  synchronized Map<String, Object> state() {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("embedded", cluster.isPresent());
    cluster
        .map(c -> c.replica(0))
        .ifPresent(
            r -> {
              state.put("replicaRunning", r.isRunning());
              state.put("replicaReplayPaused", r.isRunning() && r.isReplayPaused());
              state.put("replicaLagBytes", r.isRunning() ? r.replayLagBytes() : null);
            });
    state.put("heldPrimaryConnections", held.size());
    state.put("primaryPoolSize", primaryPool.getMaximumPoolSize());
    return state;
  }

  @PostMapping("/replica-lag/{switch}")
  Map<String, Object> replicaLag(@PathVariable("switch") String onOff) {
    ReplicaNode replica = replica();
    if (parse(onOff)) {
      replica.pauseReplay();
    } else {
      replica.resumeReplay();
    }
    return state();
  }

  @PostMapping("/replica-stop")
  Map<String, Object> replicaStop() {
    replica().stop();
    return state();
  }

  @PostMapping("/replica-start")
  Map<String, Object> replicaStart() {
    replica().start();
    return state();
  }

  @PostMapping("/pool-exhaust/{switch}")
  synchronized Map<String, Object> poolExhaust(@PathVariable("switch") String onOff) {
    if (parse(onOff)) {
      int max = primaryPool.getMaximumPoolSize();
      while (held.size() < max) {
        try {
          held.add(primaryPool.getConnection());
        } catch (SQLException e) {
          break; // the rest is in use by requests; holding what we got is enough
        }
      }
    } else {
      for (Connection c : held) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // returning a broken connection to the pool; the pool evicts it
        }
      }
      held.clear();
    }
    return state();
  }

  private ReplicaNode replica() {
    return cluster
        .orElseThrow(
            () ->
                new TroubleUnavailableException(
                    "replica trouble needs the embedded cluster; this service runs against"
                        + " external databases (spring.datasource.url)"))
        .replica(0);
  }

  private static boolean parse(String onOff) {
    if ("on".equals(onOff)) {
      return true;
    }
    if ("off".equals(onOff)) {
      return false;
    }
    throw new InvalidInputException("switch", "must be 'on' or 'off', but was " + onOff);
  }
}
