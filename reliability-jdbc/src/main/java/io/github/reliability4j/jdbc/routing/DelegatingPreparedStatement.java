package io.github.reliability4j.jdbc.routing;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;

/*
 * Written once, never edited: the pass-through of java.sql.PreparedStatement's own methods,
 * through the hooks of DelegatingStatement (see there). It extends RoutedStatement only so that
 * RoutedPreparedStatement is both; it calls nothing of it but those hooks.
 */
/**
 * Forwards every {@link PreparedStatement} method that {@link Statement} does not declare.
 *
 * @param <S> the type of the wrapped statement
 */
abstract class DelegatingPreparedStatement<S extends PreparedStatement> extends RoutedStatement<S>
    implements PreparedStatement {

  DelegatingPreparedStatement(
      RoutingConnection owner,
      Overload overload,
      int resultSetType,
      int resultSetConcurrency,
      int resultSetHoldability) {
    super(owner, overload, resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  public ResultSet executeQuery() throws SQLException {
    return wrap(execute(true, s -> s.executeQuery()));
  }

  @Override
  public int executeUpdate() throws SQLException {
    return execute(false, s -> s.executeUpdate());
  }

  @Override
  public void setNull(int parameterIndex, int sqlType) throws SQLException {
    set(s -> s.setNull(parameterIndex, sqlType));
  }

  @Override
  public void setBoolean(int parameterIndex, boolean x) throws SQLException {
    set(s -> s.setBoolean(parameterIndex, x));
  }

  @Override
  public void setByte(int parameterIndex, byte x) throws SQLException {
    set(s -> s.setByte(parameterIndex, x));
  }

  @Override
  public void setShort(int parameterIndex, short x) throws SQLException {
    set(s -> s.setShort(parameterIndex, x));
  }

  @Override
  public void setInt(int parameterIndex, int x) throws SQLException {
    set(s -> s.setInt(parameterIndex, x));
  }

  @Override
  public void setLong(int parameterIndex, long x) throws SQLException {
    set(s -> s.setLong(parameterIndex, x));
  }

  @Override
  public void setFloat(int parameterIndex, float x) throws SQLException {
    set(s -> s.setFloat(parameterIndex, x));
  }

  @Override
  public void setDouble(int parameterIndex, double x) throws SQLException {
    set(s -> s.setDouble(parameterIndex, x));
  }

  @Override
  public void setBigDecimal(int parameterIndex, BigDecimal x) throws SQLException {
    set(s -> s.setBigDecimal(parameterIndex, x));
  }

  @Override
  public void setString(int parameterIndex, String x) throws SQLException {
    set(s -> s.setString(parameterIndex, x));
  }

  @Override
  public void setBytes(int parameterIndex, byte[] x) throws SQLException {
    set(s -> s.setBytes(parameterIndex, x));
  }

  @Override
  public void setDate(int parameterIndex, Date x) throws SQLException {
    set(s -> s.setDate(parameterIndex, x));
  }

  @Override
  public void setTime(int parameterIndex, Time x) throws SQLException {
    set(s -> s.setTime(parameterIndex, x));
  }

  @Override
  public void setTimestamp(int parameterIndex, Timestamp x) throws SQLException {
    set(s -> s.setTimestamp(parameterIndex, x));
  }

  @Override
  public void setAsciiStream(int parameterIndex, InputStream x, int length) throws SQLException {
    set(s -> s.setAsciiStream(parameterIndex, x, length));
  }

  @Override
  public void setUnicodeStream(int parameterIndex, InputStream x, int length) throws SQLException {
    set(s -> s.setUnicodeStream(parameterIndex, x, length));
  }

  @Override
  public void setBinaryStream(int parameterIndex, InputStream x, int length) throws SQLException {
    set(s -> s.setBinaryStream(parameterIndex, x, length));
  }

  @Override
  public void clearParameters() throws SQLException {
    set(s -> s.clearParameters());
  }

  @Override
  public void setObject(int parameterIndex, Object x, int targetSqlType) throws SQLException {
    set(s -> s.setObject(parameterIndex, x, targetSqlType));
  }

  @Override
  public void setObject(int parameterIndex, Object x) throws SQLException {
    set(s -> s.setObject(parameterIndex, x));
  }

  @Override
  public boolean execute() throws SQLException {
    return execute(false, s -> s.execute());
  }

  @Override
  public void addBatch() throws SQLException {
    set(s -> s.addBatch());
  }

  @Override
  public void setCharacterStream(int parameterIndex, Reader reader, int length)
      throws SQLException {
    set(s -> s.setCharacterStream(parameterIndex, reader, length));
  }

  @Override
  public void setRef(int parameterIndex, Ref x) throws SQLException {
    set(s -> s.setRef(parameterIndex, x));
  }

  @Override
  public void setBlob(int parameterIndex, Blob x) throws SQLException {
    set(s -> s.setBlob(parameterIndex, x));
  }

  @Override
  public void setClob(int parameterIndex, Clob x) throws SQLException {
    set(s -> s.setClob(parameterIndex, x));
  }

  @Override
  public void setArray(int parameterIndex, Array x) throws SQLException {
    set(s -> s.setArray(parameterIndex, x));
  }

  @Override
  public ResultSetMetaData getMetaData() throws SQLException {
    return delegate().getMetaData();
  }

  @Override
  public void setDate(int parameterIndex, Date x, Calendar cal) throws SQLException {
    set(s -> s.setDate(parameterIndex, x, cal));
  }

  @Override
  public void setTime(int parameterIndex, Time x, Calendar cal) throws SQLException {
    set(s -> s.setTime(parameterIndex, x, cal));
  }

  @Override
  public void setTimestamp(int parameterIndex, Timestamp x, Calendar cal) throws SQLException {
    set(s -> s.setTimestamp(parameterIndex, x, cal));
  }

  @Override
  public void setNull(int parameterIndex, int sqlType, String typeName) throws SQLException {
    set(s -> s.setNull(parameterIndex, sqlType, typeName));
  }

  @Override
  public void setURL(int parameterIndex, URL x) throws SQLException {
    set(s -> s.setURL(parameterIndex, x));
  }

  @Override
  public ParameterMetaData getParameterMetaData() throws SQLException {
    return delegate().getParameterMetaData();
  }

  @Override
  public void setRowId(int parameterIndex, RowId x) throws SQLException {
    set(s -> s.setRowId(parameterIndex, x));
  }

  @Override
  public void setNString(int parameterIndex, String value) throws SQLException {
    set(s -> s.setNString(parameterIndex, value));
  }

  @Override
  public void setNCharacterStream(int parameterIndex, Reader value, long length)
      throws SQLException {
    set(s -> s.setNCharacterStream(parameterIndex, value, length));
  }

  @Override
  public void setNClob(int parameterIndex, NClob value) throws SQLException {
    set(s -> s.setNClob(parameterIndex, value));
  }

  @Override
  public void setClob(int parameterIndex, Reader reader, long length) throws SQLException {
    set(s -> s.setClob(parameterIndex, reader, length));
  }

  @Override
  public void setBlob(int parameterIndex, InputStream inputStream, long length)
      throws SQLException {
    set(s -> s.setBlob(parameterIndex, inputStream, length));
  }

  @Override
  public void setNClob(int parameterIndex, Reader reader, long length) throws SQLException {
    set(s -> s.setNClob(parameterIndex, reader, length));
  }

  @Override
  public void setSQLXML(int parameterIndex, SQLXML xmlObject) throws SQLException {
    set(s -> s.setSQLXML(parameterIndex, xmlObject));
  }

  @Override
  public void setObject(int parameterIndex, Object x, int targetSqlType, int scaleOrLength)
      throws SQLException {
    set(s -> s.setObject(parameterIndex, x, targetSqlType, scaleOrLength));
  }

  @Override
  public void setAsciiStream(int parameterIndex, InputStream x, long length) throws SQLException {
    set(s -> s.setAsciiStream(parameterIndex, x, length));
  }

  @Override
  public void setBinaryStream(int parameterIndex, InputStream x, long length) throws SQLException {
    set(s -> s.setBinaryStream(parameterIndex, x, length));
  }

  @Override
  public void setCharacterStream(int parameterIndex, Reader reader, long length)
      throws SQLException {
    set(s -> s.setCharacterStream(parameterIndex, reader, length));
  }

  @Override
  public void setAsciiStream(int parameterIndex, InputStream x) throws SQLException {
    set(s -> s.setAsciiStream(parameterIndex, x));
  }

  @Override
  public void setBinaryStream(int parameterIndex, InputStream x) throws SQLException {
    set(s -> s.setBinaryStream(parameterIndex, x));
  }

  @Override
  public void setCharacterStream(int parameterIndex, Reader reader) throws SQLException {
    set(s -> s.setCharacterStream(parameterIndex, reader));
  }

  @Override
  public void setNCharacterStream(int parameterIndex, Reader value) throws SQLException {
    set(s -> s.setNCharacterStream(parameterIndex, value));
  }

  @Override
  public void setClob(int parameterIndex, Reader reader) throws SQLException {
    set(s -> s.setClob(parameterIndex, reader));
  }

  @Override
  public void setBlob(int parameterIndex, InputStream inputStream) throws SQLException {
    set(s -> s.setBlob(parameterIndex, inputStream));
  }

  @Override
  public void setNClob(int parameterIndex, Reader reader) throws SQLException {
    set(s -> s.setNClob(parameterIndex, reader));
  }

  @Override
  public void setObject(int parameterIndex, Object x, SQLType targetSqlType, int scaleOrLength)
      throws SQLException {
    set(s -> s.setObject(parameterIndex, x, targetSqlType, scaleOrLength));
  }

  @Override
  public void setObject(int parameterIndex, Object x, SQLType targetSqlType) throws SQLException {
    set(s -> s.setObject(parameterIndex, x, targetSqlType));
  }

  @Override
  public long executeLargeUpdate() throws SQLException {
    return execute(false, s -> s.executeLargeUpdate());
  }
}
