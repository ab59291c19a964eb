package io.github.reliability4j.jdbc.idempotency;

import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import java.sql.SQLException;

/**
 * The idempotency table (or one of its columns) does not exist in the database. The message names
 * the table and the DDL resource to apply; the cause is the driver's {@link SQLException}.
 */
public class IdempotencyTableMissingException extends IdempotencyStoreException {

  private static final long serialVersionUID = 1L;

  private final String tableName;
  private final String schemaResource;

  public IdempotencyTableMissingException(
      String tableName, String databaseProduct, String schemaResource, SQLException cause) {
    super(
        "idempotency table '"
            + tableName
            + "' is missing or incomplete in the "
            + databaseProduct
            + " database: apply the DDL in classpath resource "
            + schemaResource
            + " (replacing '"
            + JdbcIdempotencyStoreConfig.DEFAULT_TABLE_NAME
            + "' by the table name) with your migration tool, or enable"
            + " JdbcIdempotencyStoreConfig.custom().initializeSchema(true) (Spring Boot:"
            + " reliability.idempotency.jdbc.initialize-schema=true) (database said: "
            + cause.getMessage()
            + ")",
        cause);
    this.tableName = tableName;
    this.schemaResource = schemaResource;
  }

  public String getTableName() {
    return tableName;
  }

  /** Classpath resource with the DDL for this database. */
  public String getSchemaResource() {
    return schemaResource;
  }
}
