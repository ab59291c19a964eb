package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.routing.RouteDecision;
import io.github.reliability4j.jdbc.routing.RoutedConnection;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.regex.Pattern;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Profiles. Writes run in read-write transactions (primary); reads run in read-only transactions,
 * which the routing {@code DataSource} sends to the replica unless the request's consistency token
 * demands a write the replica has not replayed yet. {@value #SERVED_BY} tells which node answered.
 */
@RestController
class ProfilesController {

  static final String SERVED_BY = "Served-By";

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final JdbcTemplate jdbc;
  private final TransactionTemplate writes;
  private final TransactionTemplate reads;

  ProfilesController(JdbcTemplate jdbc, PlatformTransactionManager transactionManager) {
    this.jdbc = jdbc;
    this.writes = new TransactionTemplate(transactionManager);
    this.reads = new TransactionTemplate(transactionManager);
    this.reads.setReadOnly(true);
  }

  /** The body of {@code PUT /profiles/{id}}. */
  record ProfileUpdate(String displayName) {}

  /** A stored profile; {@code version} grows by one per update. */
  record Profile(String id, String displayName, long version) {}

  @PutMapping("/profiles/{id}")
  ResponseEntity<Profile> put(@PathVariable("id") String id, @RequestBody ProfileUpdate update) {
    Payments.requireValid("id", id, ID, "1 to 64 letters, digits, '_' or '-'");
    if (update == null || update.displayName() == null || update.displayName().isBlank()) {
      throw new InvalidInputException("displayName", "must be a non-empty string");
    }
    if (update.displayName().length() > 200) {
      throw new InvalidInputException("displayName", "must be at most 200 characters");
    }
    Profile saved =
        writes.execute(
            tx ->
                jdbc.queryForObject(
                    "INSERT INTO demo_profiles (id, display_name, version) VALUES (?, ?, 1)"
                        + " ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name,"
                        + " version = demo_profiles.version + 1, updated_at = now()"
                        + " RETURNING id, display_name, version",
                    (rs, row) -> new Profile(rs.getString(1), rs.getString(2), rs.getLong(3)),
                    id,
                    update.displayName()));
    return ResponseEntity.ok().header(SERVED_BY, "primary").body(saved);
  }

  @GetMapping("/profiles/{id}")
  ResponseEntity<Profile> get(@PathVariable("id") String id) {
    Payments.requireValid("id", id, ID, "1 to 64 letters, digits, '_' or '-'");
    Read read = reads.execute(tx -> jdbc.execute((ConnectionCallback<Read>) c -> read(c, id)));
    if (read.profile() == null) {
      throw new NotFoundException("profile '" + id + "' does not exist", read.servedBy());
    }
    return ResponseEntity.ok().header(SERVED_BY, read.servedBy()).body(read.profile());
  }

  private record Read(Profile profile, String servedBy) {}

  private static Read read(Connection c, String id) throws SQLException {
    Profile profile = null;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id, display_name, version FROM demo_profiles WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          profile = new Profile(rs.getString(1), rs.getString(2), rs.getLong(3));
        }
      }
    }
    String servedBy =
        c.unwrap(RoutedConnection.class).routeDecision().map(RouteDecision::node).orElse("unknown");
    return new Read(profile, servedBy);
  }
}
