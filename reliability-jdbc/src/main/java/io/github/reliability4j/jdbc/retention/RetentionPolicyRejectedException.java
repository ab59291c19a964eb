package io.github.reliability4j.jdbc.retention;

/**
 * A policy that the database cannot run safely: its table or a column does not exist, its age
 * column leads no index, or its archive table lacks columns. Thrown before any row is touched.
 */
public final class RetentionPolicyRejectedException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String policy;
  private final String table;
  private final String column;

  RetentionPolicyRejectedException(String policy, String table, String column, String message) {
    super("Retention policy '" + policy + "' rejected: " + message);
    this.policy = policy;
    this.table = table;
    this.column = column;
  }

  public String getPolicy() {
    return policy;
  }

  /** The table the problem is in (the policy's table or its archive table). */
  public String getTable() {
    return table;
  }

  /** The column concerned, or null when the whole table is. */
  public String getColumn() {
    return column;
  }
}
