package io.github.reliability4j.examples.service;

import io.github.reliability4j.spring.idempotency.IdempotencyProblem;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code POST /payments/transactional} uses the engine directly, not {@code @Idempotent}, so the
 * starter's body limit does not cover it; this gives it the same one: bodies over {@code
 * reliability.idempotency.max-body-size} (default 1 MB), declared or streamed, get 413 problem+json
 * before anything is parsed.
 */
@Component
class TransactionalBodyLimit extends OncePerRequestFilter {

  private final long maxBytes;

  TransactionalBodyLimit(@Value("${reliability.idempotency.max-body-size:1MB}") DataSize max) {
    this.maxBytes = max.toBytes();
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return !"POST".equals(request.getMethod())
        || !"/payments/transactional".equals(request.getRequestURI());
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    byte[] body = readAtMost(request);
    if (body == null) {
      response.setStatus(413);
      response.setContentType("application/problem+json");
      response.setCharacterEncoding("UTF-8");
      response
          .getOutputStream()
          .write(
              ("{\"type\":\""
                      + IdempotencyProblem.REQUEST_TOO_LARGE.type()
                      + "\",\"title\":\""
                      + IdempotencyProblem.REQUEST_TOO_LARGE.title()
                      + "\",\"status\":413,"
                      + "\"detail\":\"payments may carry at most "
                      + maxBytes
                      + " bytes\"}")
                  .getBytes(StandardCharsets.UTF_8));
      return;
    }
    chain.doFilter(new Buffered(request, body), response);
  }

  private byte[] readAtMost(HttpServletRequest request) throws IOException {
    if (request.getContentLengthLong() > maxBytes) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try (InputStream in = request.getInputStream()) {
      int n;
      while ((n = in.read(buf)) != -1) {
        if (out.size() + n > maxBytes) {
          return null;
        }
        out.write(buf, 0, n);
      }
    }
    return out.toByteArray();
  }

  /** Serves the body read by the filter again to the controller. */
  private static final class Buffered extends HttpServletRequestWrapper {
    private final byte[] body;

    Buffered(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      return new Replay(new ByteArrayInputStream(body));
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }

    @Override
    public int getContentLength() {
      return body.length;
    }
  }

  private static final class Replay extends ServletInputStream {
    private final ByteArrayInputStream bytes;

    Replay(ByteArrayInputStream bytes) {
      this.bytes = bytes;
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public boolean isFinished() {
      return bytes.available() == 0;
    }

    @Override
    public void setReadListener(ReadListener listener) {
      throw new UnsupportedOperationException("the body is already buffered");
    }

    @Override
    public int read(byte[] b, int off, int len) {
      return bytes.read(b, off, len);
    }

    @Override
    public int read() {
      return bytes.read();
    }
  }
}
