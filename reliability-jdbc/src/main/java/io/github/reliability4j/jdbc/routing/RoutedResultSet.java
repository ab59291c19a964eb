package io.github.reliability4j.jdbc.routing;

import java.sql.ResultSet;
import java.sql.Statement;

/**
 * A result set of a {@link RoutedStatement}: {@link #getStatement()} returns the statement the
 * caller holds, not the physical one. Everything else, unwrap and isWrapperFor included, is {@link
 * DelegatingResultSet}'s pass-through to the physical result set.
 */
final class RoutedResultSet extends DelegatingResultSet {

  private final Statement statement;

  RoutedResultSet(ResultSet delegate, Statement statement) {
    super(delegate);
    this.statement = statement;
  }

  @Override
  public Statement getStatement() {
    return statement;
  }
}
