package io.github.reliability4j.jdbc.routing;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.Date;
import java.sql.NClob;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;

/**
 * A {@link CallableStatement} of a {@link RoutingConnection}; see {@link RoutedStatement}. An OUT
 * parameter that is a result set (a cursor) is wrapped too, so its getStatement() is this
 * statement.
 */
final class RoutedCallableStatement extends RoutedPreparedStatement implements CallableStatement {

  RoutedCallableStatement(
      RoutingConnection owner,
      String sql,
      Overload overload,
      int resultSetType,
      int resultSetConcurrency,
      int resultSetHoldability) {
    super(owner, sql, overload, resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  Statement create(Connection c) throws SQLException {
    switch (overload) {
      case PLAIN:
        return c.prepareCall(sql);
      case TYPE_CONCURRENCY:
        return c.prepareCall(sql, resultSetType, resultSetConcurrency);
      case TYPE_CONCURRENCY_HOLDABILITY:
        return c.prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability);
      default:
        throw new IllegalStateException("prepareCall has no overload " + overload);
    }
  }

  private Object wrapIfResultSet(Object value) {
    return value instanceof ResultSet rs ? wrap(rs) : value;
  }

  private <T> T wrapIfResultSet(T value, Class<T> type) {
    if (value instanceof ResultSet rs) {
      RoutedResultSet wrapped = wrap(rs);
      if (type.isInstance(wrapped)) {
        return type.cast(wrapped);
      }
    }
    return value;
  }

  // ---------------------------------------------------------------- delegated

  @Override
  public void registerOutParameter(int parameterIndex, int sqlType) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterIndex, sqlType));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterIndex, sqlType);
  }

  @Override
  public void registerOutParameter(int parameterIndex, int sqlType, int scale) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterIndex, sqlType, scale));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterIndex, sqlType, scale);
  }

  @Override
  public boolean wasNull() throws SQLException {
    return ((CallableStatement) real()).wasNull();
  }

  @Override
  public String getString(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getString(parameterIndex);
  }

  @Override
  public boolean getBoolean(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getBoolean(parameterIndex);
  }

  @Override
  public byte getByte(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getByte(parameterIndex);
  }

  @Override
  public short getShort(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getShort(parameterIndex);
  }

  @Override
  public int getInt(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getInt(parameterIndex);
  }

  @Override
  public long getLong(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getLong(parameterIndex);
  }

  @Override
  public float getFloat(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getFloat(parameterIndex);
  }

  @Override
  public double getDouble(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getDouble(parameterIndex);
  }

  @Deprecated
  @Override
  public BigDecimal getBigDecimal(int parameterIndex, int scale) throws SQLException {
    return ((CallableStatement) real()).getBigDecimal(parameterIndex, scale);
  }

  @Override
  public byte[] getBytes(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getBytes(parameterIndex);
  }

  @Override
  public Date getDate(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getDate(parameterIndex);
  }

  @Override
  public Time getTime(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getTime(parameterIndex);
  }

  @Override
  public Timestamp getTimestamp(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getTimestamp(parameterIndex);
  }

  @Override
  public Object getObject(int parameterIndex) throws SQLException {
    return wrapIfResultSet(((CallableStatement) real()).getObject(parameterIndex));
  }

  @Override
  public BigDecimal getBigDecimal(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getBigDecimal(parameterIndex);
  }

  @Override
  public Object getObject(int parameterIndex, Map<String, Class<?>> map) throws SQLException {
    return wrapIfResultSet(((CallableStatement) real()).getObject(parameterIndex, map));
  }

  @Override
  public Ref getRef(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getRef(parameterIndex);
  }

  @Override
  public Blob getBlob(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getBlob(parameterIndex);
  }

  @Override
  public Clob getClob(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getClob(parameterIndex);
  }

  @Override
  public Array getArray(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getArray(parameterIndex);
  }

  @Override
  public Date getDate(int parameterIndex, Calendar cal) throws SQLException {
    return ((CallableStatement) real()).getDate(parameterIndex, cal);
  }

  @Override
  public Time getTime(int parameterIndex, Calendar cal) throws SQLException {
    return ((CallableStatement) real()).getTime(parameterIndex, cal);
  }

  @Override
  public Timestamp getTimestamp(int parameterIndex, Calendar cal) throws SQLException {
    return ((CallableStatement) real()).getTimestamp(parameterIndex, cal);
  }

  @Override
  public void registerOutParameter(int parameterIndex, int sqlType, String typeName)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterIndex, sqlType, typeName));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterIndex, sqlType, typeName);
  }

  @Override
  public void registerOutParameter(String parameterName, int sqlType) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterName, sqlType));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterName, sqlType);
  }

  @Override
  public void registerOutParameter(String parameterName, int sqlType, int scale)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterName, sqlType, scale));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterName, sqlType, scale);
  }

  @Override
  public void registerOutParameter(String parameterName, int sqlType, String typeName)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterName, sqlType, typeName));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterName, sqlType, typeName);
  }

  @Override
  public URL getURL(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getURL(parameterIndex);
  }

  @Override
  public void setURL(String parameterName, URL val) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setURL(parameterName, val));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setURL(parameterName, val);
  }

  @Override
  public void setNull(String parameterName, int sqlType) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNull(parameterName, sqlType));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNull(parameterName, sqlType);
  }

  @Override
  public void setBoolean(String parameterName, boolean x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBoolean(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBoolean(parameterName, x);
  }

  @Override
  public void setByte(String parameterName, byte x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setByte(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setByte(parameterName, x);
  }

  @Override
  public void setShort(String parameterName, short x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setShort(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setShort(parameterName, x);
  }

  @Override
  public void setInt(String parameterName, int x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setInt(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setInt(parameterName, x);
  }

  @Override
  public void setLong(String parameterName, long x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setLong(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setLong(parameterName, x);
  }

  @Override
  public void setFloat(String parameterName, float x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setFloat(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setFloat(parameterName, x);
  }

  @Override
  public void setDouble(String parameterName, double x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setDouble(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setDouble(parameterName, x);
  }

  @Override
  public void setBigDecimal(String parameterName, BigDecimal x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBigDecimal(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBigDecimal(parameterName, x);
  }

  @Override
  public void setString(String parameterName, String x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setString(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setString(parameterName, x);
  }

  @Override
  public void setBytes(String parameterName, byte[] x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBytes(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBytes(parameterName, x);
  }

  @Override
  public void setDate(String parameterName, Date x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setDate(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setDate(parameterName, x);
  }

  @Override
  public void setTime(String parameterName, Time x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setTime(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setTime(parameterName, x);
  }

  @Override
  public void setTimestamp(String parameterName, Timestamp x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setTimestamp(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setTimestamp(parameterName, x);
  }

  @Override
  public void setAsciiStream(String parameterName, InputStream x, int length) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setAsciiStream(parameterName, x, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setAsciiStream(parameterName, x, length);
  }

  @Override
  public void setBinaryStream(String parameterName, InputStream x, int length) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBinaryStream(parameterName, x, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBinaryStream(parameterName, x, length);
  }

  @Override
  public void setObject(String parameterName, Object x, int targetSqlType, int scale)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setObject(parameterName, x, targetSqlType, scale));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setObject(parameterName, x, targetSqlType, scale);
  }

  @Override
  public void setObject(String parameterName, Object x, int targetSqlType) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setObject(parameterName, x, targetSqlType));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setObject(parameterName, x, targetSqlType);
  }

  @Override
  public void setObject(String parameterName, Object x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setObject(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setObject(parameterName, x);
  }

  @Override
  public void setCharacterStream(String parameterName, Reader reader, int length)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setCharacterStream(parameterName, reader, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setCharacterStream(parameterName, reader, length);
  }

  @Override
  public void setDate(String parameterName, Date x, Calendar cal) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setDate(parameterName, x, cal));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setDate(parameterName, x, cal);
  }

  @Override
  public void setTime(String parameterName, Time x, Calendar cal) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setTime(parameterName, x, cal));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setTime(parameterName, x, cal);
  }

  @Override
  public void setTimestamp(String parameterName, Timestamp x, Calendar cal) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setTimestamp(parameterName, x, cal));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setTimestamp(parameterName, x, cal);
  }

  @Override
  public void setNull(String parameterName, int sqlType, String typeName) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNull(parameterName, sqlType, typeName));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNull(parameterName, sqlType, typeName);
  }

  @Override
  public String getString(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getString(parameterName);
  }

  @Override
  public boolean getBoolean(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getBoolean(parameterName);
  }

  @Override
  public byte getByte(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getByte(parameterName);
  }

  @Override
  public short getShort(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getShort(parameterName);
  }

  @Override
  public int getInt(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getInt(parameterName);
  }

  @Override
  public long getLong(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getLong(parameterName);
  }

  @Override
  public float getFloat(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getFloat(parameterName);
  }

  @Override
  public double getDouble(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getDouble(parameterName);
  }

  @Override
  public byte[] getBytes(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getBytes(parameterName);
  }

  @Override
  public Date getDate(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getDate(parameterName);
  }

  @Override
  public Time getTime(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getTime(parameterName);
  }

  @Override
  public Timestamp getTimestamp(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getTimestamp(parameterName);
  }

  @Override
  public Object getObject(String parameterName) throws SQLException {
    return wrapIfResultSet(((CallableStatement) real()).getObject(parameterName));
  }

  @Override
  public BigDecimal getBigDecimal(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getBigDecimal(parameterName);
  }

  @Override
  public Object getObject(String parameterName, Map<String, Class<?>> map) throws SQLException {
    return wrapIfResultSet(((CallableStatement) real()).getObject(parameterName, map));
  }

  @Override
  public Ref getRef(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getRef(parameterName);
  }

  @Override
  public Blob getBlob(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getBlob(parameterName);
  }

  @Override
  public Clob getClob(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getClob(parameterName);
  }

  @Override
  public Array getArray(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getArray(parameterName);
  }

  @Override
  public Date getDate(String parameterName, Calendar cal) throws SQLException {
    return ((CallableStatement) real()).getDate(parameterName, cal);
  }

  @Override
  public Time getTime(String parameterName, Calendar cal) throws SQLException {
    return ((CallableStatement) real()).getTime(parameterName, cal);
  }

  @Override
  public Timestamp getTimestamp(String parameterName, Calendar cal) throws SQLException {
    return ((CallableStatement) real()).getTimestamp(parameterName, cal);
  }

  @Override
  public URL getURL(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getURL(parameterName);
  }

  @Override
  public RowId getRowId(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getRowId(parameterIndex);
  }

  @Override
  public RowId getRowId(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getRowId(parameterName);
  }

  @Override
  public void setRowId(String parameterName, RowId x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setRowId(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setRowId(parameterName, x);
  }

  @Override
  public void setNString(String parameterName, String value) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNString(parameterName, value));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNString(parameterName, value);
  }

  @Override
  public void setNCharacterStream(String parameterName, Reader value, long length)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNCharacterStream(parameterName, value, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNCharacterStream(parameterName, value, length);
  }

  @Override
  public void setNClob(String parameterName, NClob value) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNClob(parameterName, value));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNClob(parameterName, value);
  }

  @Override
  public void setClob(String parameterName, Reader reader, long length) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setClob(parameterName, reader, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setClob(parameterName, reader, length);
  }

  @Override
  public void setBlob(String parameterName, InputStream inputStream, long length)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBlob(parameterName, inputStream, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBlob(parameterName, inputStream, length);
  }

  @Override
  public void setNClob(String parameterName, Reader reader, long length) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNClob(parameterName, reader, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNClob(parameterName, reader, length);
  }

  @Override
  public NClob getNClob(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getNClob(parameterIndex);
  }

  @Override
  public NClob getNClob(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getNClob(parameterName);
  }

  @Override
  public void setSQLXML(String parameterName, SQLXML xmlObject) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setSQLXML(parameterName, xmlObject));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setSQLXML(parameterName, xmlObject);
  }

  @Override
  public SQLXML getSQLXML(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getSQLXML(parameterIndex);
  }

  @Override
  public SQLXML getSQLXML(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getSQLXML(parameterName);
  }

  @Override
  public String getNString(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getNString(parameterIndex);
  }

  @Override
  public String getNString(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getNString(parameterName);
  }

  @Override
  public Reader getNCharacterStream(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getNCharacterStream(parameterIndex);
  }

  @Override
  public Reader getNCharacterStream(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getNCharacterStream(parameterName);
  }

  @Override
  public Reader getCharacterStream(int parameterIndex) throws SQLException {
    return ((CallableStatement) real()).getCharacterStream(parameterIndex);
  }

  @Override
  public Reader getCharacterStream(String parameterName) throws SQLException {
    return ((CallableStatement) real()).getCharacterStream(parameterName);
  }

  @Override
  public void setBlob(String parameterName, Blob x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBlob(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBlob(parameterName, x);
  }

  @Override
  public void setClob(String parameterName, Clob x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setClob(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setClob(parameterName, x);
  }

  @Override
  public void setAsciiStream(String parameterName, InputStream x, long length) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setAsciiStream(parameterName, x, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setAsciiStream(parameterName, x, length);
  }

  @Override
  public void setBinaryStream(String parameterName, InputStream x, long length)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBinaryStream(parameterName, x, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBinaryStream(parameterName, x, length);
  }

  @Override
  public void setCharacterStream(String parameterName, Reader reader, long length)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setCharacterStream(parameterName, reader, length));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setCharacterStream(parameterName, reader, length);
  }

  @Override
  public void setAsciiStream(String parameterName, InputStream x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setAsciiStream(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setAsciiStream(parameterName, x);
  }

  @Override
  public void setBinaryStream(String parameterName, InputStream x) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBinaryStream(parameterName, x));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBinaryStream(parameterName, x);
  }

  @Override
  public void setCharacterStream(String parameterName, Reader reader) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setCharacterStream(parameterName, reader));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setCharacterStream(parameterName, reader);
  }

  @Override
  public void setNCharacterStream(String parameterName, Reader value) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNCharacterStream(parameterName, value));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNCharacterStream(parameterName, value);
  }

  @Override
  public void setClob(String parameterName, Reader reader) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setClob(parameterName, reader));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setClob(parameterName, reader);
  }

  @Override
  public void setBlob(String parameterName, InputStream inputStream) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setBlob(parameterName, inputStream));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setBlob(parameterName, inputStream);
  }

  @Override
  public void setNClob(String parameterName, Reader reader) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setNClob(parameterName, reader));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setNClob(parameterName, reader);
  }

  @Override
  public <T> T getObject(int parameterIndex, Class<T> type) throws SQLException {
    return wrapIfResultSet(((CallableStatement) real()).getObject(parameterIndex, type), type);
  }

  @Override
  public <T> T getObject(String parameterName, Class<T> type) throws SQLException {
    return wrapIfResultSet(((CallableStatement) real()).getObject(parameterName, type), type);
  }

  @Override
  public void setObject(String parameterName, Object x, SQLType targetSqlType, int scaleOrLength)
      throws SQLException {
    if (recording()) {
      record(
          s -> ((CallableStatement) s).setObject(parameterName, x, targetSqlType, scaleOrLength));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setObject(parameterName, x, targetSqlType, scaleOrLength);
  }

  @Override
  public void setObject(String parameterName, Object x, SQLType targetSqlType) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).setObject(parameterName, x, targetSqlType));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).setObject(parameterName, x, targetSqlType);
  }

  @Override
  public void registerOutParameter(int parameterIndex, SQLType sqlType) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterIndex, sqlType));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterIndex, sqlType);
  }

  @Override
  public void registerOutParameter(int parameterIndex, SQLType sqlType, int scale)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterIndex, sqlType, scale));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterIndex, sqlType, scale);
  }

  @Override
  public void registerOutParameter(int parameterIndex, SQLType sqlType, String typeName)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterIndex, sqlType, typeName));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterIndex, sqlType, typeName);
  }

  @Override
  public void registerOutParameter(String parameterName, SQLType sqlType) throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterName, sqlType));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterName, sqlType);
  }

  @Override
  public void registerOutParameter(String parameterName, SQLType sqlType, int scale)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterName, sqlType, scale));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterName, sqlType, scale);
  }

  @Override
  public void registerOutParameter(String parameterName, SQLType sqlType, String typeName)
      throws SQLException {
    if (recording()) {
      record(s -> ((CallableStatement) s).registerOutParameter(parameterName, sqlType, typeName));
      if (real == null) {
        return;
      }
    }
    ((CallableStatement) real).registerOutParameter(parameterName, sqlType, typeName);
  }
}
