package io.github.reliability4j.jdbc.idempotency;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The DDL of the idempotency table, shipped as one resource per dialect in this package:
 *
 * <ul>
 *   <li>{@value #POSTGRESQL} — PostgreSQL 9.5+
 *   <li>{@value #MARIADB} — MariaDB 10.5+
 *   <li>{@value #MYSQL} — MySQL 8.0+
 *   <li>{@value #H2} — H2 2.x
 *   <li>{@value #POSTGRESQL_PARTITIONED} — PostgreSQL 11+, alternative partition-per-day layout,
 *       see {@link JdbcIdempotencyStore} "Retention"
 * </ul>
 *
 * The resources use the default table name {@value JdbcIdempotencyStoreConfig#DEFAULT_TABLE_NAME}
 * and {@code IF NOT EXISTS}, so they can be copied into a Flyway or Liquibase migration as they
 * are. {@link #apply} is the opt-in initializer: it substitutes the configured table name and runs
 * the statements.
 */
public final class JdbcIdempotencySchema {

  /** Package of the resources, as a resource path prefix. */
  public static final String RESOURCE_DIRECTORY = "io/github/reliability4j/jdbc/idempotency/";

  public static final String POSTGRESQL = RESOURCE_DIRECTORY + "schema-postgresql.sql";
  public static final String MARIADB = RESOURCE_DIRECTORY + "schema-mariadb.sql";
  public static final String MYSQL = RESOURCE_DIRECTORY + "schema-mysql.sql";
  public static final String H2 = RESOURCE_DIRECTORY + "schema-h2.sql";
  public static final String POSTGRESQL_PARTITIONED =
      RESOURCE_DIRECTORY + "schema-postgresql-partitioned.sql";

  private static final Pattern DEFAULT_NAME_WITH_SUFFIX =
      Pattern.compile("\\b" + JdbcIdempotencyStoreConfig.DEFAULT_TABLE_NAME + "(\\w*)");

  private JdbcIdempotencySchema() {}

  /**
   * The classpath resource with the DDL for the database behind {@code dataSource}.
   *
   * @throws UnsupportedDatabaseException if the product has no dialect
   * @throws SQLException if the database cannot be reached
   */
  public static String resourceFor(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return RESOURCE_DIRECTORY
          + detect(c, JdbcIdempotencyStoreConfig.DEFAULT_TABLE_NAME).schemaResource();
    }
  }

  /**
   * Runs the DDL for the database behind {@code dataSource}, for table {@code tableName}. Safe to
   * run repeatedly ({@code IF NOT EXISTS}); on MariaDB/MySQL each statement commits on its own.
   *
   * @throws IllegalArgumentException if {@code tableName} is not a plain SQL identifier
   * @throws UnsupportedDatabaseException if the product has no dialect
   * @throws SQLException if a statement fails
   */
  public static void apply(DataSource dataSource, String tableName) throws SQLException {
    JdbcIdempotencyStoreConfig.requireTableName(tableName);
    try (Connection c = dataSource.getConnection()) {
      apply(c, RESOURCE_DIRECTORY + detect(c, tableName).schemaResource(), tableName);
    }
  }

  /**
   * Runs the statements of {@code resource} on {@code connection} for table {@code tableName}.
   *
   * @throws IllegalArgumentException if {@code tableName} is not a plain SQL identifier
   * @throws SQLException if a statement fails
   */
  public static void apply(Connection connection, String resource, String tableName)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    try (Statement st = connection.createStatement()) {
      for (String sql : statements(resource, tableName)) {
        st.execute(sql);
      }
      if (!autoCommit) {
        connection.commit();
      }
    }
  }

  /**
   * The statements of DDL resource {@code resource} with the default table name replaced by {@code
   * tableName}: index and constraint names get the unqualified name as prefix, table references the
   * full (possibly schema-qualified) name. Comments are removed.
   *
   * @throws IllegalArgumentException if {@code tableName} is not a plain SQL identifier or the
   *     resource does not exist
   */
  public static List<String> statements(String resource, String tableName) {
    JdbcIdempotencyStoreConfig.requireTableName(tableName);
    Objects.requireNonNull(resource, "resource");
    String unqualified = tableName.substring(tableName.indexOf('.') + 1);
    String withoutComments = read(resource).replaceAll("--[^\\n]*", "");
    // One pass, so a table name that contains the default name is not replaced twice. Functions
    // live in the table's schema; indexes and constraints cannot be schema-qualified.
    Matcher m = DEFAULT_NAME_WITH_SUFFIX.matcher(withoutComments);
    StringBuilder replaced = new StringBuilder();
    while (m.find()) {
      String suffix = m.group(1);
      String replacement =
          suffix.isEmpty()
              ? tableName
              : suffix.equals("_claim") ? tableName + suffix : unqualified + suffix;
      m.appendReplacement(replaced, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(replaced);
    String text = replaced.toString();
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean inDollarQuote = false;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
        inDollarQuote = !inDollarQuote;
        current.append("$$");
        i++;
      } else if (ch == ';' && !inDollarQuote) {
        addStatement(out, current);
      } else {
        current.append(ch);
      }
    }
    addStatement(out, current);
    return out;
  }

  private static void addStatement(List<String> out, StringBuilder current) {
    String sql = current.toString().strip();
    if (!sql.isEmpty()) {
      out.add(sql);
    }
    current.setLength(0);
  }

  static Dialect detect(Connection c, String tableName) throws SQLException {
    return detect(c, tableName, false);
  }

  static Dialect detect(Connection c, String tableName, boolean partitionedByDay)
      throws SQLException {
    return detect(c, tableName, partitionedByDay, 0);
  }

  static Dialect detect(
      Connection c, String tableName, boolean partitionedByDay, int queryTimeoutSeconds)
      throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    return Dialect.detect(
        md.getDatabaseProductName(),
        md.getDatabaseProductVersion(),
        tableName,
        partitionedByDay,
        queryTimeoutSeconds);
  }

  private static String read(String resource) {
    ClassLoader loader = JdbcIdempotencySchema.class.getClassLoader();
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no such DDL resource on the classpath: " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
