package io.github.reliability4j.jdbc.routing;

import io.github.reliability4j.core.routing.ConsistencyLevel;
import io.github.reliability4j.core.routing.ReadPreference;
import java.sql.SQLTransientConnectionException;

/**
 * No node could serve a read under its consistency level, read preference and partition behaviour,
 * or the cap on concurrent fallback reads was reached. Retryable (a transient connection error,
 * SQLState {@code 08001}); the cause is the last connection failure, if any.
 */
public class ReplicaUnavailableException extends SQLTransientConnectionException {

  private static final long serialVersionUID = 1L;

  private final transient ConsistencyLevel consistency;
  private final ReadPreference readPreference;

  public ReplicaUnavailableException(
      String message,
      ConsistencyLevel consistency,
      ReadPreference readPreference,
      Throwable cause) {
    super(message, "08001", cause);
    this.consistency = consistency;
    this.readPreference = readPreference;
  }

  public ConsistencyLevel getConsistency() {
    return consistency;
  }

  public ReadPreference getReadPreference() {
    return readPreference;
  }
}
