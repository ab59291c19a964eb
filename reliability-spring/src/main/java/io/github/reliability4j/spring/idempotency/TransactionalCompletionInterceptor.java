package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.spring.internal.TransactionalCompletion;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Transactional mode for {@link Idempotent @Idempotent} handler methods: when the handler runs
 * inside a Spring transaction bound to the JDBC store's {@code DataSource}, its response is
 * serialized before the commit and the key is completed on the transaction's own connection ({@link
 * JdbcIdempotencyStore#completeInTransactionOrThrow}), so the business write and the stored
 * response commit or roll back together.
 *
 * <p>Must run inside the transaction interceptor (it checks at run time: if no transaction on the
 * store's DataSource is active when the handler returns, it does nothing and the filter completes
 * the key after the response, as without this mode). The completion is skipped — and left to the
 * filter — when the transaction is read-only, when the outcome policy would not store the response,
 * when it exceeds max-stored-response-size, and when no message converter can write the body. A
 * lost lease or a failing completion statement throws from the commit, so the business transaction
 * rolls back and the request ends as a 500 whose key is released.
 *
 * <p>What is stored is this interceptor's serialization of the return value (status from the {@code
 * ResponseEntity} or {@code @ResponseStatus}, else 200; allow-listed headers from the entity and
 * from headers the handler set on the response; body written by the first of Spring MVC's message
 * converters that can write it as {@code application/json}, {@code text/plain} for character
 * sequences, or as the entity's own content type). It can differ from what MVC then sends (content
 * negotiation, {@code ResponseBodyAdvice}, a failure while writing the response after the commit):
 * the replayed response is the one stored in the transaction.
 *
 * <p>Thread-safety: stateless per call; the synchronization runs on the committing thread.
 */
final class TransactionalCompletionInterceptor implements MethodInterceptor {

  private static final Logger log =
      LoggerFactory.getLogger(TransactionalCompletionInterceptor.class);

  private final Supplier<JdbcIdempotencyStore> store;
  private final Supplier<DataSource> dataSource;
  private final Supplier<IdempotencyProperties> propertiesSupplier;
  private final Supplier<List<HttpMessageConverter<?>>> converters;

  TransactionalCompletionInterceptor(
      Supplier<JdbcIdempotencyStore> store,
      Supplier<DataSource> dataSource,
      Supplier<IdempotencyProperties> properties,
      Supplier<List<HttpMessageConverter<?>>> converters) {
    this.store = store;
    this.dataSource = dataSource;
    this.propertiesSupplier = properties;
    this.converters = converters;
  }

  @Override
  public Object invoke(MethodInvocation invocation) throws Throwable {
    Object result = invocation.proceed();
    IdempotencyProperties properties = propertiesSupplier.get();
    if (!properties.isTransactional()
        || !(RequestContextHolder.getRequestAttributes()
            instanceof ServletRequestAttributes attributes)) {
      return result;
    }
    HttpServletRequest request = attributes.getRequest();
    if (!(request.getAttribute(IdempotencyFilter.EXECUTION_ATTRIBUTE)
            instanceof IdempotentExecution execution)
        || execution.kind() != IdempotentExecution.Kind.OWNER
        || request.getAttribute(IdempotencyFilter.TRANSACTIONAL_ATTRIBUTE) != null) {
      return result;
    }
    JdbcIdempotencyStore jdbcStore = store.get();
    DataSource ds = dataSource.get();
    if (jdbcStore == null || !TransactionalCompletion.isActiveOn(ds)) {
      return result;
    }
    StoredOutcome outcome = serialize(result, invocation.getMethod(), attributes.getResponse());
    if (outcome == null
        || outcome.sizeInBytes() > execution.config().getMaxStoredOutcomeBytes()
        || !execution.config().getOutcomePolicy().shouldStore(outcome)) {
      return result;
    }
    request.setAttribute(IdempotencyFilter.TRANSACTIONAL_ATTRIBUTE, Boolean.TRUE);
    TransactionalCompletion.register(
        jdbcStore,
        ds,
        execution,
        outcome,
        status -> {
          request.removeAttribute(IdempotencyFilter.TRANSACTIONAL_ATTRIBUTE);
          if (status == TransactionSynchronization.STATUS_COMMITTED) {
            IdempotencyFilter.markCompletedExternally(request);
          } else {
            log.debug(
                "Transaction of {} ended with status {}; the key is left to the filter",
                execution.key(),
                status);
          }
        });
    return result;
  }

  /** The stored form of a handler's return value, or null if this cannot serialize it. */
  StoredOutcome serialize(Object result, Method method, HttpServletResponse response)
      throws Exception {
    IdempotencyProperties properties = propertiesSupplier.get();
    // Async return values: the response exists only after the async dispatch, which the filter
    // stores; completing here would store the future object instead of the response.
    if (result instanceof Callable<?>
        || result instanceof java.util.concurrent.Future<?>
        || result instanceof java.util.concurrent.CompletionStage<?>
        || (result != null
            && (result.getClass().getName().startsWith("org.springframework.web.context.request")
                || org.springframework.core.ReactiveAdapterRegistry.getSharedInstance()
                        .getAdapter(result.getClass())
                    != null))) {
      return null;
    }
    int status = 200;
    HttpHeaders headers = new HttpHeaders();
    Object body = result;
    if (result instanceof ResponseEntity<?> entity) {
      status = entity.getStatusCode().value();
      headers.putAll(entity.getHeaders());
      body = entity.getBody();
    } else if (result instanceof HttpEntity<?> entity) {
      headers.putAll(entity.getHeaders());
      body = entity.getBody();
    } else {
      ResponseStatus rs = AnnotatedElementUtils.findMergedAnnotation(method, ResponseStatus.class);
      if (rs == null) {
        rs =
            AnnotatedElementUtils.findMergedAnnotation(
                method.getDeclaringClass(), ResponseStatus.class);
      }
      if (rs != null) {
        status = rs.code().value();
      }
    }
    byte[] bytes = new byte[0];
    String contentType = null;
    if (body != null) {
      MediaType type =
          headers.getContentType() != null
              ? headers.getContentType()
              : body instanceof CharSequence ? MediaType.TEXT_PLAIN : MediaType.APPLICATION_JSON;
      BufferedOutput out = new BufferedOutput();
      if (!write(body, type, out)) {
        return null;
      }
      bytes = out.body.toByteArray();
      MediaType written = out.headers.getContentType();
      contentType = (written != null ? written : type).toString();
    }
    Map<String, String> meta =
        ResponseReplay.metadata(
            properties.getReplayHeaders(),
            contentType,
            name -> {
              List<String> fromEntity = headers.get(name);
              if (fromEntity != null) {
                return fromEntity;
              }
              return response == null ? List.of() : response.getHeaders(name);
            });
    return StoredOutcome.of(status, meta, bytes);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private boolean write(Object body, MediaType type, BufferedOutput out) throws Exception {
    for (HttpMessageConverter converter : converters.get()) {
      if (converter.canWrite(body.getClass(), type)) {
        converter.write(body, type, out);
        return true;
      }
    }
    return false;
  }

  private static final class BufferedOutput implements HttpOutputMessage {
    final HttpHeaders headers = new HttpHeaders();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();

    @Override
    public OutputStream getBody() {
      return body;
    }

    @Override
    public HttpHeaders getHeaders() {
      return headers;
    }
  }
}
