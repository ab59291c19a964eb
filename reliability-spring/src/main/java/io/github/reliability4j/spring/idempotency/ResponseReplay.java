package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.spring.internal.RequestConsistency;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Response capture and replay of {@link Idempotent @Idempotent} requests: what is stored of a
 * response, and how a stored outcome is sent again.
 *
 * <p>Stored: the status, the body, and the {@code replay-headers} the response carries, minus the
 * {@linkplain IdempotencyProperties#SENSITIVE_HEADERS sensitive ones} (never stored, and never
 * replayed should a record contain them). Metadata keys are {@code h:<header name>}; several values
 * of one header are joined with {@code '\n'}, which cannot occur inside a header value. A response
 * that ended with {@code sendError} is stored as "status via sendError" (no body) and replayed
 * through {@code sendError}, so the error page renders again in its own ERROR dispatch.
 *
 * <p>Replayed responses carry {@code Idempotent-Replayed: true}. Stateless; thread-safe.
 */
final class ResponseReplay {

  static final String REPLAYED_HEADER = "Idempotent-Replayed";
  private static final String META_SEND_ERROR = "x-reliability4j-send-error";
  private static final String META_HEADER_PREFIX = "h:";
  private static final Logger log = LoggerFactory.getLogger(ResponseReplay.class);

  private ResponseReplay() {}

  /** The stored form of what the handler wrote into {@code capturing}. */
  static StoredOutcome capture(CapturingResponse capturing, List<String> replayHeaders) {
    if (capturing.isErrorSent()) {
      return StoredOutcome.of(capturing.getStatus(), Map.of(META_SEND_ERROR, "true"), new byte[0]);
    }
    return StoredOutcome.of(
        capturing.getStatus(),
        metadata(replayHeaders, capturing.getContentType(), capturing::getHeaders),
        capturing.getContentAsByteArray());
  }

  /**
   * The stored headers: for each allow-listed, non-sensitive name, the values {@code headers}
   * returns ({@code Content-Type} from {@code contentType}).
   */
  static Map<String, String> metadata(
      List<String> replayHeaders,
      String contentType,
      Function<String, Collection<String>> headers) {
    Map<String, String> meta = new LinkedHashMap<>();
    for (String name : replayHeaders) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (IdempotencyProperties.SENSITIVE_HEADERS.contains(lower)) {
        continue;
      }
      if (lower.equals("content-type")) {
        if (contentType != null) {
          meta.put(META_HEADER_PREFIX + name, contentType);
        }
        continue;
      }
      List<String> values = new ArrayList<>(headers.apply(name));
      if (!values.isEmpty()) {
        meta.put(META_HEADER_PREFIX + name, String.join("\n", values));
      }
    }
    return meta;
  }

  /** Sends {@code outcome} as the response to {@code request}. */
  static void replay(
      HttpServletRequest request, HttpServletResponse response, StoredOutcome outcome)
      throws IOException {
    response.setHeader(REPLAYED_HEADER, "true");
    reissueConsistencyToken(request);
    Map<String, String> meta = outcome.metadata();
    if ("true".equals(meta.get(META_SEND_ERROR))) {
      response.sendError(outcome.status());
      return;
    }
    response.setStatus(outcome.status());
    for (Map.Entry<String, String> e : meta.entrySet()) {
      if (!e.getKey().startsWith(META_HEADER_PREFIX)) {
        continue;
      }
      String name = e.getKey().substring(META_HEADER_PREFIX.length());
      if (IdempotencyProperties.SENSITIVE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      if (name.equalsIgnoreCase("content-type")) {
        response.setContentType(e.getValue());
        continue;
      }
      for (String v : e.getValue().split("\n")) {
        response.addHeader(name, v);
      }
    }
    byte[] body = outcome.body();
    response.setContentLength(body.length);
    if (body.length > 0) {
      response.getOutputStream().write(body);
    }
    response.flushBuffer();
  }

  /**
   * With replica routing, the consistency token of the original write is re-issued rather than
   * stored: the request's session is advanced to the primary's current position, which is at or
   * after the write (the key completes only after the write committed, or in its transaction), so
   * the retrying client reads its write. Storing the token instead would miss the transactional
   * mode, whose outcome is written before the commit position exists.
   */
  private static void reissueConsistencyToken(HttpServletRequest request) {
    if (request.getAttribute(RequestConsistency.ATTRIBUTE) instanceof RequestConsistency session) {
      try {
        session.advanceToPrimary();
      } catch (Exception e) {
        log.warn(
            "Could not read the primary's position to re-issue the consistency token of a"
                + " replayed response; the replay carries the request's own token only",
            e);
      }
    }
  }

  /** Buffers the response and remembers whether it ended with sendError. */
  static final class CapturingResponse extends ContentCachingResponseWrapper {
    private boolean errorSent;

    CapturingResponse(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void sendError(int sc) throws IOException {
      errorSent = true;
      super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
      errorSent = true;
      super.sendError(sc, msg);
    }

    boolean isErrorSent() {
      return errorSent;
    }
  }
}
