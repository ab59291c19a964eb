package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.routing.Consistency;
import io.github.reliability4j.core.routing.ConsistencySession;
import io.github.reliability4j.jdbc.routing.ReplicaRoutingDataSource;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.MethodParameter;
import org.springframework.core.Ordered;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

/**
 * Read-your-writes across requests: the client sends back the {@value #HEADER} it received, the
 * service turns it into this request's {@link ConsistencySession}, and every response carries the
 * session's newest position.
 *
 * <ul>
 *   <li>No header: a fresh session, so reads may go to any admitted replica (possibly stale).
 *   <li>A valid token: reads see at least the writes it covers (a replica that has replayed them,
 *       else the primary).
 *   <li>A malformed, forged or foreign token: never an error; the session is untrusted, its reads
 *       go to the primary, and the response says why in {@value #REJECTED_HEADER}.
 * </ul>
 */
final class ConsistencyTokens {

  static final String HEADER = "Consistency-Token";
  static final String REJECTED_HEADER = "Consistency-Token-Rejected";

  private ConsistencyTokens() {}

  /** Binds the request's session to the request thread (runs before Spring MVC). */
  static final class SessionFilter extends OncePerRequestFilter implements Ordered {

    private final ReplicaRoutingDataSource dataSource;

    SessionFilter(ReplicaRoutingDataSource dataSource) {
      this.dataSource = dataSource;
    }

    @Override
    protected void doFilterInternal(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      ConsistencySession session = ConsistencySession.create();
      dataSource
          .importInto(session, request.getHeader(HEADER))
          .ifPresent(rejection -> response.setHeader(REJECTED_HEADER, rejection.name()));
      try (Consistency.Scope scope = Consistency.session(session)) {
        chain.doFilter(request, response);
      }
    }

    @Override
    public int getOrder() {
      return Ordered.HIGHEST_PRECEDENCE + 10;
    }
  }

  /** Adds the session's position to every response with a body, after the handler committed. */
  @ControllerAdvice
  static final class ExportAdvice implements ResponseBodyAdvice<Object> {

    private final ReplicaRoutingDataSource dataSource;

    ExportAdvice(ReplicaRoutingDataSource dataSource) {
      this.dataSource = dataSource;
    }

    @Override
    public boolean supports(
        MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
      return true;
    }

    @Override
    public Object beforeBodyWrite(
        Object body,
        MethodParameter returnType,
        MediaType selectedContentType,
        Class<? extends HttpMessageConverter<?>> selectedConverterType,
        ServerHttpRequest request,
        ServerHttpResponse response) {
      Consistency.currentSession()
          .flatMap(dataSource::exportSession)
          .ifPresent(token -> response.getHeaders().set(HEADER, token));
      return body;
    }
  }
}
