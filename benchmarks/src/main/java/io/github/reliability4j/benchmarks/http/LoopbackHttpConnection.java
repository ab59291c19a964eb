package io.github.reliability4j.benchmarks.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One persistent HTTP/1.1 connection over loopback, used by one load thread: writes a prepared
 * request in one write and reads the whole response (status line, headers, a {@code
 * Content-Length}, chunked or close-delimited body). Deliberately minimal, so the client takes as
 * little of the shared CPUs as possible: no pooling, no TLS, no redirects, no compression.
 *
 * <p>When the server answers {@code Connection: close} (or closes the socket), the next exchange
 * opens a new connection; {@link #reconnects()} counts them. Not thread-safe.
 */
final class LoopbackHttpConnection implements AutoCloseable {

  /** What the harness checks of a response: its status and whether it was a replay. */
  record Response(int status, boolean replayed, String bodyStart) {}

  private static final int MAX_LINE = 8192;

  private final String host;
  private final int port;
  private final byte[] buf = new byte[16 * 1024];
  private int pos;
  private int limit;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private int reconnects;

  LoopbackHttpConnection(String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    connect();
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(60_000);
    s.connect(new InetSocketAddress(host, port), 10_000);
    socket = s;
    in = s.getInputStream();
    out = s.getOutputStream();
    pos = 0;
    limit = 0;
  }

  int reconnects() {
    return reconnects;
  }

  /** Sends {@code request} (a complete HTTP/1.1 request) and reads the response. */
  Response exchange(byte[] request) throws IOException {
    if (socket == null) {
      connect();
      reconnects++;
    }
    out.write(request);
    out.flush();
    String statusLine = readLine();
    if (statusLine.length() < 12 || !statusLine.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x status line: " + statusLine);
    }
    int status = Integer.parseInt(statusLine.substring(9, 12));
    long contentLength = -1;
    boolean chunked = false;
    boolean close = false;
    boolean replayed = false;
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        contentLength = Long.parseLong(value);
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
      } else if (name.equalsIgnoreCase("Connection")) {
        close = value.equalsIgnoreCase("close");
      } else if (name.equalsIgnoreCase("Idempotent-Replayed")) {
        replayed = value.equalsIgnoreCase("true");
      }
    }
    StringBuilder bodyStart = new StringBuilder();
    if (chunked) {
      while (true) {
        String sizeLine = readLine();
        int semicolon = sizeLine.indexOf(';');
        long size =
            Long.parseLong(
                (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        if (size == 0) {
          // Trailers, then the empty line.
          while (!readLine().isEmpty()) {}
          break;
        }
        skip(size, bodyStart);
        readLine(); // CRLF after the chunk
      }
    } else if (contentLength >= 0) {
      skip(contentLength, bodyStart);
    } else if (status >= 200 && status != 204 && status != 304) {
      // Close-delimited body.
      skip(limit - pos, bodyStart);
      while (fill()) {
        skip(limit - pos, bodyStart);
      }
      close = true;
    }
    if (close) {
      closeSocket();
    }
    return new Response(status, replayed, bodyStart.toString());
  }

  /** Consumes {@code n} body bytes, keeping the first 200 characters for error messages. */
  private void skip(long n, StringBuilder keep) throws IOException {
    while (n > 0) {
      if (pos == limit && !fill()) {
        throw new EOFException("connection closed inside a response body");
      }
      int take = (int) Math.min(n, limit - pos);
      if (keep.length() < 200) {
        keep.append(
            new String(buf, pos, Math.min(take, 200 - keep.length()), StandardCharsets.ISO_8859_1));
      }
      pos += take;
      n -= take;
    }
  }

  private boolean fill() throws IOException {
    pos = 0;
    limit = 0;
    int n = in.read(buf);
    if (n < 0) {
      return false;
    }
    limit = n;
    return true;
  }

  private String readLine() throws IOException {
    StringBuilder sb = new StringBuilder(64);
    while (true) {
      if (pos == limit && !fill()) {
        throw new EOFException("connection closed by the server while reading a response");
      }
      byte b = buf[pos++];
      if (b == '\n') {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') {
          sb.setLength(len - 1);
        }
        return sb.toString();
      }
      if (sb.length() >= MAX_LINE) {
        throw new IOException("response line longer than " + MAX_LINE + " bytes");
      }
      sb.append((char) (b & 0xff));
    }
  }

  private void closeSocket() {
    try {
      if (socket != null) {
        socket.close();
      }
    } catch (IOException ignored) {
      // Closing a loopback socket: nothing to report.
    }
    socket = null;
  }

  @Override
  public void close() {
    closeSocket();
  }
}
