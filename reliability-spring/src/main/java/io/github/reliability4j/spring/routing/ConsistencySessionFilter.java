package io.github.reliability4j.spring.routing;

import io.github.reliability4j.core.routing.CausalToken;
import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import io.github.reliability4j.spring.internal.RequestConsistency;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.http.ResponseCookie;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Binds one {@link ConsistencySession} per HTTP request, seeded from the signed token in the
 * request header (or, opt-in, the cookie), and sends the session's token back in the response
 * header (and cookie) once the response starts — after the handler's writes committed. A client
 * that echoes the token on its next request, to any instance sharing the token secret, reads its
 * own writes. A missing token starts an empty session (reads may go to any fresh-enough replica); a
 * malformed, tampered or foreign token is ignored and the request's reads go to the primary.
 */
final class ConsistencySessionFilter extends OncePerRequestFilter {

  private final ReplicaRoutingDataSource routing;
  private final DataSource primary;
  private final RoutingProperties.Session settings;

  ConsistencySessionFilter(
      ReplicaRoutingDataSource routing, DataSource primary, RoutingProperties.Session settings) {
    this.routing = routing;
    this.primary = primary;
    this.settings = settings;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return routing == null;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String incoming = request.getHeader(settings.getHeaderName());
    if (incoming == null && settings.getCookie().isEnabled() && request.getCookies() != null) {
      for (Cookie c : request.getCookies()) {
        if (c.getName().equals(settings.getCookie().getName())) {
          incoming = c.getValue();
        }
      }
    }
    ConsistencySession session =
        incoming == null || incoming.isBlank()
            ? ConsistencySession.create()
            : routing.importSession(incoming.strip());
    TokenResponse wrapped = new TokenResponse(response, session, incoming);
    // A replayed idempotent response did not write in this request; the idempotency filter
    // re-issues the token of the original write through this hook (see RequestConsistency).
    request.setAttribute(
        RequestConsistency.ATTRIBUTE, (RequestConsistency) () -> advanceToPrimary(session));
    try (Consistency.Scope scope = Consistency.session(session)) {
      chain.doFilter(request, wrapped);
      wrapped.addToken();
    }
  }

  private void advanceToPrimary(ConsistencySession session) throws SQLException {
    try (Connection c = primary.getConnection()) {
      session.advance(new CausalToken(routing.clusterId(), routing.dialect().currentPosition(c)));
    }
  }

  private final class TokenResponse extends HttpServletResponseWrapper {
    private final ConsistencySession session;
    private final String incoming;
    private boolean added;

    TokenResponse(HttpServletResponse response, ConsistencySession session, String incoming) {
      super(response);
      this.session = session;
      this.incoming = incoming;
    }

    void addToken() {
      if (added || isCommitted()) {
        return;
      }
      added = true;
      Optional<String> token = routing.exportSession(session);
      if (token.isEmpty()) {
        return;
      }
      setHeader(settings.getHeaderName(), token.get());
      RoutingProperties.Cookie cookie = settings.getCookie();
      if (cookie.isEnabled() && !token.get().equals(incoming)) {
        addHeader(
            "Set-Cookie",
            ResponseCookie.from(cookie.getName(), token.get())
                .path("/")
                .httpOnly(true)
                .secure(cookie.isSecure())
                .sameSite(cookie.getSameSite())
                .maxAge(cookie.getMaxAge())
                .build()
                .toString());
      }
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      addToken();
      return super.getOutputStream();
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      addToken();
      return super.getWriter();
    }

    @Override
    public void flushBuffer() throws IOException {
      addToken();
      super.flushBuffer();
    }

    @Override
    public void sendError(int sc) throws IOException {
      addToken();
      super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
      addToken();
      super.sendError(sc, msg);
    }

    @Override
    public void sendRedirect(String location) throws IOException {
      addToken();
      super.sendRedirect(location);
    }
  }
}
