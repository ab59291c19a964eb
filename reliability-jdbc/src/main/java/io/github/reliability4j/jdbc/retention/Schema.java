package io.github.reliability4j.jdbc.retention;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Start-up checks of a policy against the database's metadata, and the column list the archive copy
 * names. Stateless.
 */
final class Schema {

  /** A table as the database stores its name, with its columns in ordinal order. */
  record Table(String catalog, String schema, String name, Map<String, Column> columns) {
    Column column(String n) {
      return columns.get(n.toLowerCase(Locale.ROOT));
    }
  }

  record Column(String name, int jdbcType, String typeName) {}

  private Schema() {}

  /** The product; only these are supported. */
  static String product(Connection c) throws SQLException {
    String p = c.getMetaData().getDatabaseProductName();
    String v = c.getMetaData().getDatabaseProductVersion();
    if (p.equals("PostgreSQL") || p.equals("H2") || p.equals("MariaDB")) {
      return p;
    }
    if (p.equals("MySQL")) {
      return v != null && v.contains("MariaDB") ? "MariaDB" : "MySQL";
    }
    return p;
  }

  /**
   * Checks the policy and returns the table's columns (the list the archive copy names).
   *
   * @throws RetentionPolicyRejectedException naming the table, column and what to do
   */
  static List<String> check(Connection c, RetentionPolicy p) throws SQLException {
    String product = product(c);
    if (!List.of("PostgreSQL", "MariaDB", "MySQL", "H2").contains(product)) {
      throw reject(
          p,
          p.getTable(),
          null,
          "database "
              + product
              + " is not supported for retention (supported: PostgreSQL, MariaDB, MySQL, H2)");
    }
    Table t = describe(c, product, p.getTable());
    if (t == null) {
      throw reject(
          p,
          p.getTable(),
          null,
          "table "
              + p.getTable()
              + " does not exist (looked in "
              + where(c, product, p.getTable())
              + "): create it, or set the policy's table to an existing, schema-qualified name");
    }
    Column pk = t.column(p.getPrimaryKey());
    if (pk == null) {
      throw reject(
          p,
          p.getTable(),
          p.getPrimaryKey(),
          "primary key column "
              + p.getPrimaryKey()
              + " does not exist in table "
              + p.getTable()
              + " (columns: "
              + names(t)
              + "): set primaryKey to the table's single-column primary key");
    }
    List<String> pkColumns = primaryKey(c, t);
    if (!(pkColumns.size() == 1 && pkColumns.get(0).equalsIgnoreCase(p.getPrimaryKey()))) {
      throw reject(
          p,
          p.getTable(),
          p.getPrimaryKey(),
          "column "
              + p.getPrimaryKey()
              + " is not the single-column primary key of table "
              + p.getTable()
              + " (primary key: "
              + (pkColumns.isEmpty() ? "none" : pkColumns)
              + "): batches page by a unique key; add a single-column primary key or set"
              + " primaryKey to it");
    }
    Column age = t.column(p.getAgeColumn());
    if (age == null) {
      throw reject(
          p,
          p.getTable(),
          p.getAgeColumn(),
          "age column "
              + p.getAgeColumn()
              + " does not exist in table "
              + p.getTable()
              + " (columns: "
              + names(t)
              + "): set ageColumn to the timestamp (or epoch-millis) column that says how old a"
              + " row is");
    }
    checkAgeType(p, age);
    if (!p.isAllowUnindexedAgeColumn() && !leadsAnIndex(c, t, age.name())) {
      throw reject(
          p,
          p.getTable(),
          p.getAgeColumn(),
          "age column "
              + p.getAgeColumn()
              + " of table "
              + p.getTable()
              + " is not the leading column of any index, so every batch would scan the table:"
              + " CREATE INDEX ON "
              + p.getTable()
              + " ("
              + p.getAgeColumn()
              + "), or allow it explicitly with allowUnindexedAgeColumn(true)");
    }
    if (p.getExtraCondition().isPresent()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT count(*) FROM "
                  + p.getTable()
                  + " WHERE 1 = 0 AND ("
                  + p.getExtraCondition().get()
                  + ")")) {
        ps.executeQuery().close();
      } catch (SQLException e) {
        throw reject(
            p,
            p.getTable(),
            null,
            "extraCondition '"
                + p.getExtraCondition().get()
                + "' is not a valid condition on table "
                + p.getTable()
                + " ("
                + e.getMessage()
                + "): fix the condition");
      }
    }
    List<String> columns = new ArrayList<>();
    for (Column col : t.columns().values()) {
      columns.add(col.name());
    }
    if (p.getArchiveTable().isPresent()) {
      String archiveName = p.getArchiveTable().get();
      Table a = describe(c, product, archiveName);
      if (a == null) {
        throw reject(
            p,
            archiveName,
            null,
            "archive table "
                + archiveName
                + " does not exist (looked in "
                + where(c, product, archiveName)
                + "): create it with the columns of "
                + p.getTable()
                + ", e.g. CREATE TABLE "
                + archiveName
                + " AS SELECT * FROM "
                + p.getTable()
                + " WHERE 1 = 0, plus a primary key on "
                + p.getPrimaryKey());
      }
      List<String> missing = new ArrayList<>();
      for (Column col : t.columns().values()) {
        if (a.column(col.name()) == null) {
          missing.add(col.name());
        }
      }
      if (!missing.isEmpty()) {
        throw reject(
            p,
            archiveName,
            missing.get(0),
            "archive table "
                + archiveName
                + " lacks column(s) "
                + missing
                + " of table "
                + p.getTable()
                + ": add them to the archive table with the same names and types");
      }
    }
    return columns;
  }

  private static void checkAgeType(RetentionPolicy p, Column age) {
    int t = age.jdbcType();
    boolean timestamp =
        t == Types.TIMESTAMP || t == Types.TIMESTAMP_WITH_TIMEZONE || t == Types.DATE;
    boolean numeric =
        t == Types.BIGINT
            || t == Types.INTEGER
            || t == Types.NUMERIC
            || t == Types.DECIMAL
            || t == Types.SMALLINT;
    boolean ok = p.getAgeType() == RetentionPolicy.AgeType.TIMESTAMP ? timestamp : numeric;
    if (!ok) {
      throw reject(
          p,
          p.getTable(),
          p.getAgeColumn(),
          "age column "
              + p.getAgeColumn()
              + " of table "
              + p.getTable()
              + " has type "
              + age.typeName()
              + " but the policy declares it "
              + p.getAgeType()
              + ": declare it "
              + (timestamp ? "TIMESTAMP" : numeric ? "EPOCH_MILLIS" : "as a timestamp column")
              + " or choose another age column");
    }
  }

  static Table describe(Connection c, String product, String qualified) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    String catalog;
    String schema;
    String name;
    int dot = qualified.indexOf('.');
    String qualifier = dot < 0 ? null : qualified.substring(0, dot);
    name = dot < 0 ? qualified : qualified.substring(dot + 1);
    boolean catalogs = product.equals("MariaDB") || product.equals("MySQL");
    if (catalogs) {
      catalog = qualifier != null ? qualifier : c.getCatalog();
      schema = null;
    } else {
      catalog = null;
      schema = qualifier != null ? qualifier : c.getSchema();
    }
    for (String n : variants(name)) {
      for (String s : schema == null ? List.<String>of("") : variants(schema)) {
        String sch = schema == null ? null : s;
        Map<String, Column> columns = new LinkedHashMap<>();
        String foundCatalog = catalog;
        String foundSchema = sch;
        String foundName = null;
        try (ResultSet rs = md.getColumns(catalog, sch, n, null)) {
          while (rs.next()) {
            if (!rs.getString("TABLE_NAME").equals(n)) {
              continue; // LIKE pattern: '_' matches any character
            }
            foundName = n;
            foundCatalog = rs.getString("TABLE_CAT");
            foundSchema = rs.getString("TABLE_SCHEM");
            String col = rs.getString("COLUMN_NAME");
            columns.put(
                col.toLowerCase(Locale.ROOT),
                new Column(col, rs.getInt("DATA_TYPE"), rs.getString("TYPE_NAME")));
          }
        }
        if (foundName != null) {
          return new Table(foundCatalog, foundSchema, foundName, columns);
        }
      }
    }
    return null;
  }

  private static List<String> variants(String s) {
    List<String> v = new ArrayList<>();
    v.add(s);
    for (String x : List.of(s.toLowerCase(Locale.ROOT), s.toUpperCase(Locale.ROOT))) {
      if (!v.contains(x)) {
        v.add(x);
      }
    }
    return v;
  }

  private static List<String> primaryKey(Connection c, Table t) throws SQLException {
    Map<Short, String> byPosition = new java.util.TreeMap<>();
    try (ResultSet rs = c.getMetaData().getPrimaryKeys(t.catalog(), t.schema(), t.name())) {
      while (rs.next()) {
        byPosition.put(rs.getShort("KEY_SEQ"), rs.getString("COLUMN_NAME"));
      }
    }
    return new ArrayList<>(byPosition.values());
  }

  private static boolean leadsAnIndex(Connection c, Table t, String column) throws SQLException {
    try (ResultSet rs =
        c.getMetaData().getIndexInfo(t.catalog(), t.schema(), t.name(), false, true)) {
      while (rs.next()) {
        String col = rs.getString("COLUMN_NAME");
        if (rs.getShort("ORDINAL_POSITION") == 1 && col != null && col.equalsIgnoreCase(column)) {
          return true;
        }
      }
    }
    return false;
  }

  private static String names(Table t) {
    List<String> n = new ArrayList<>();
    t.columns().values().forEach(col -> n.add(col.name()));
    return n.toString();
  }

  private static String where(Connection c, String product, String qualified) throws SQLException {
    if (qualified.contains(".")) {
      return (product.equals("MariaDB") || product.equals("MySQL") ? "database " : "schema ")
          + qualified.substring(0, qualified.indexOf('.'));
    }
    return product.equals("MariaDB") || product.equals("MySQL")
        ? "database " + c.getCatalog()
        : "schema " + c.getSchema();
  }

  static RetentionPolicyRejectedException reject(
      RetentionPolicy p, String table, String column, String message) {
    return new RetentionPolicyRejectedException(p.getName(), table, column, message);
  }
}
