package io.github.reliability4j.jdbc.idempotency;

import java.util.List;

/**
 * The {@link javax.sql.DataSource} given to {@link JdbcIdempotencyStore} points at a database this
 * store has no dialect for. Thrown by {@link JdbcIdempotencyStore#create} (or by the first
 * operation, if the database was unreachable at creation).
 */
public class UnsupportedDatabaseException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String productName;
  private final String productVersion;
  private final List<String> supportedProducts;

  public UnsupportedDatabaseException(
      String productName, String productVersion, List<String> supportedProducts) {
    super(
        "JdbcIdempotencyStore does not support database product '"
            + productName
            + "' (version "
            + productVersion
            + "); supported products: "
            + String.join(", ", supportedProducts)
            + ". Use one of them or another IdempotencyStore implementation.");
    this.productName = productName;
    this.productVersion = productVersion;
    this.supportedProducts = List.copyOf(supportedProducts);
  }

  /** {@link java.sql.DatabaseMetaData#getDatabaseProductName()} as reported by the driver. */
  public String getProductName() {
    return productName;
  }

  /** {@link java.sql.DatabaseMetaData#getDatabaseProductVersion()} as reported by the driver. */
  public String getProductVersion() {
    return productVersion;
  }

  /** Product names this store has a dialect for. */
  public List<String> getSupportedProducts() {
    return supportedProducts;
  }
}
