package io.github.reliability4j.examples.service;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.Host;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;

/**
 * Requests that Tomcat rejects before any filter or controller sees them — a header over {@code
 * server.max-http-request-header-size} (an 8 KB idempotency key, say), a header value with control
 * bytes, a malformed request line — get an RFC 9457 {@code application/problem+json} body like
 * every other error of the demo, instead of Tomcat's HTML error page.
 *
 * <p>Tomcat renders those with the host's error report valve; this replaces its class. The valve
 * reports only when nothing wrote a body: errors inside the application keep their own problem+json
 * responses.
 */
@Configuration(proxyBeanMethods = false)
class ContainerErrors {

  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemJsonContainerErrors() {
    return factory ->
        factory.addContextCustomizers(
            context -> {
              Host host = (Host) context.getParent();
              if (host instanceof StandardHost standard) {
                // The host adds this valve at start, after any valve added earlier, so it is the
                // innermost error valve and reports first.
                standard.setErrorReportValveClass(ProblemJsonErrorReportValve.class.getName());
              }
            });
  }

  /** Writes container-level errors as problem+json. Public: Tomcat instantiates it by name. */
  public static final class ProblemJsonErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
      int status = response.getStatus();
      if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
        return;
      }
      AtomicBoolean ioAllowed = new AtomicBoolean(true);
      response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
      if (!ioAllowed.get()) {
        return;
      }
      HttpStatus known = HttpStatus.resolve(status);
      String title = known == null ? "Error" : known.getReasonPhrase();
      String detail =
          status == 400
              ? "The server rejected the request before the application saw it: a header too"
                  + " large (for example a long Idempotency-Key) or containing control characters,"
                  + " or a malformed request line."
              : "The server rejected the request before the application saw it.";
      String body =
          "{\"type\":\"about:blank\",\"title\":\""
              + title
              + "\",\"status\":"
              + status
              + ",\"detail\":\""
              + detail
              + "\"}";
      try {
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        Writer writer = response.getReporter();
        if (writer != null) {
          writer.write(body);
          response.finishResponse();
        }
      } catch (IOException | IllegalStateException e) {
        // The client is gone or the response cannot be written; nothing more to report.
      }
    }
  }
}
