package io.github.reliability4j.spring.idempotency;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * A {@link ClientHttpRequestInterceptor} for {@code RestClient} / {@code RestTemplate} that makes
 * outbound retries of non-idempotent requests safe: it gives each logical call one {@code
 * Idempotency-Key} (a structured-field string holding a random UUID, unless the caller set the
 * header already) and retries with the <em>same</em> key, through a Resilience4j {@link Retry}, on
 * I/O errors (connection refused or reset, read timeouts), 409 Conflict (the first attempt is still
 * in flight on the server) and 5xx responses.
 *
 * <p>Only requests whose method is in {@code methods} (default POST and PATCH) are touched; others
 * pass through once. Register it as the <em>last</em> interceptor: each retry re-executes the rest
 * of the chain. The last attempt's response (or exception) is returned to the caller; the bodies of
 * discarded responses are closed.
 *
 * <p>Thread-safe if the supplied {@link Retry} is (Resilience4j's are). Retries sleep on the
 * calling thread.
 */
public final class IdempotentRetryInterceptor implements ClientHttpRequestInterceptor {

  private final Retry retry;
  private final String headerName;
  private final Set<HttpMethod> methods;
  private final Supplier<String> keyGenerator;

  private IdempotentRetryInterceptor(
      Retry retry, String headerName, Set<HttpMethod> methods, Supplier<String> keyGenerator) {
    this.retry = retry;
    this.headerName = headerName;
    this.methods = methods;
    this.keyGenerator = keyGenerator;
  }

  /** 3 attempts, 200 ms apart, on POST and PATCH, header {@code Idempotency-Key}. */
  public static IdempotentRetryInterceptor ofDefaults() {
    return of(3, Duration.ofMillis(200));
  }

  /**
   * @param maxAttempts total attempts including the first, at least 1
   * @param wait pause between attempts, not negative
   * @throws IllegalArgumentException if a value is out of range
   */
  public static IdempotentRetryInterceptor of(int maxAttempts, Duration wait) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, but was " + maxAttempts);
    }
    if (wait == null || wait.isNegative()) {
      throw new IllegalArgumentException("wait must not be negative, but was " + wait);
    }
    return of(Retry.of("reliability4j-idempotent-http", retryConfig(maxAttempts, wait).build()));
  }

  /**
   * Uses {@code retry} as given: its result/exception predicates decide what is retried. Use {@link
   * #retryConfig(int, Duration)} as a starting point.
   */
  public static IdempotentRetryInterceptor of(Retry retry) {
    return new IdempotentRetryInterceptor(
        Objects.requireNonNull(retry, "retry"),
        "Idempotency-Key",
        Set.of(HttpMethod.POST, HttpMethod.PATCH),
        () -> UUID.randomUUID().toString());
  }

  /** Returns a copy using another header name. */
  public IdempotentRetryInterceptor withHeaderName(String headerName) {
    return new IdempotentRetryInterceptor(retry, headerName, methods, keyGenerator);
  }

  /** Returns a copy that handles these methods. */
  public IdempotentRetryInterceptor withMethods(Set<HttpMethod> methods) {
    return new IdempotentRetryInterceptor(retry, headerName, Set.copyOf(methods), keyGenerator);
  }

  /** Returns a copy with another key generator (keys must be unique per logical call). */
  public IdempotentRetryInterceptor withKeyGenerator(Supplier<String> keyGenerator) {
    return new IdempotentRetryInterceptor(retry, headerName, methods, keyGenerator);
  }

  /**
   * The default retry policy: retry on {@link IOException} and on responses with status 409 or 5xx,
   * {@code maxAttempts} in total, {@code wait} apart.
   */
  public static RetryConfig.Builder<Object> retryConfig(int maxAttempts, Duration wait) {
    return RetryConfig.custom()
        .maxAttempts(maxAttempts)
        .waitDuration(wait)
        .retryOnException(e -> e instanceof IOException || e instanceof UncheckedIOException)
        .retryOnResult(IdempotentRetryInterceptor::retryableResponse);
  }

  private static boolean retryableResponse(Object result) {
    if (!(result instanceof ClientHttpResponse response)) {
      return false;
    }
    try {
      int status = response.getStatusCode().value();
      if (status == 409 || status >= 500) {
        return true;
      }
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public ClientHttpResponse intercept(
      HttpRequest request, byte[] body, ClientHttpRequestExecution execution) throws IOException {
    if (!methods.contains(request.getMethod())) {
      return execution.execute(request, body);
    }
    if (request.getHeaders().getFirst(headerName) == null) {
      request.getHeaders().set(headerName, "\"" + keyGenerator.get() + "\"");
    }
    ClientHttpResponse[] previous = new ClientHttpResponse[1];
    try {
      return retry.executeCallable(
          () -> {
            if (previous[0] != null) {
              previous[0].close();
              previous[0] = null;
            }
            ClientHttpResponse response = execution.execute(request, body);
            previous[0] = response;
            return response;
          });
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  @Override
  public String toString() {
    return "IdempotentRetryInterceptor[header="
        + headerName
        + ", methods="
        + methods.stream().map(m -> m.name().toLowerCase(Locale.ROOT)).toList()
        + ", retry="
        + retry.getName()
        + "]";
  }
}
