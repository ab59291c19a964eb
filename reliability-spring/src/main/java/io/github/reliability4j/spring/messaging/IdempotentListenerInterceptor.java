package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyConflictException;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.idempotency.IdempotencyResult;
import io.github.reliability4j.core.idempotency.IdempotencyStoreException;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.IdempotentExecution;
import io.github.reliability4j.core.idempotency.InvalidIdempotencyKeyException;
import io.github.reliability4j.core.idempotency.OutagePolicy;
import io.github.reliability4j.core.idempotency.OutcomePolicy;
import io.github.reliability4j.core.idempotency.RecordState;
import io.github.reliability4j.core.idempotency.RequestFingerprint;
import io.github.reliability4j.core.idempotency.StoredOutcome;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.spring.internal.TransactionalCompletion;
import io.github.reliability4j.spring.messaging.ListenerMetrics.Outcome;
import io.github.reliability4j.spring.messaging.MessageRejectedException.Reason;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import javax.sql.DataSource;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.Expression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.SimpleEvaluationContext;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The advice behind {@link IdempotentListener @IdempotentListener}: deduplicates each delivery of
 * an annotated listener method through an {@link Idempotency} engine, with the semantics documented
 * on the annotation. The Spring Boot auto-configuration installs it on every annotated method; to
 * install it by hand, build one and add it to a {@code ProxyFactory} or an advisor whose pointcut
 * matches the annotated methods:
 *
 * <pre>{@code
 * IdempotentListenerInterceptor advice = IdempotentListenerInterceptor.builder(idempotency)
 *     .transactionalStore(jdbcStore, dataSource)   // optional: the transactional inbox
 *     .build();
 * ProxyFactory factory = new ProxyFactory(listenerBean);
 * factory.addAdvice(advice);
 * }</pre>
 *
 * <p>It must run inside the transaction interceptor of a {@code @Transactional} listener method
 * (the auto-configured advisor is ordered so); a container-managed transaction is active before it
 * runs anyway. Methods without the annotation pass through unchanged.
 *
 * <p>Thread-safe: per-method settings are resolved once and cached; everything else is per call, on
 * the listener thread. Transaction synchronizations run on the committing thread.
 */
public final class IdempotentListenerInterceptor implements MethodInterceptor {

  private static final Logger log = LoggerFactory.getLogger(IdempotentListenerInterceptor.class);
  private static final StoredOutcome PROCESSED =
      StoredOutcome.of(StoredOutcome.STATUS_NO_CONTENT, new byte[0]);
  private static final int STATUS_POISON = 422;
  private static final SpelExpressionParser PARSER = new SpelExpressionParser();

  private final Idempotency idempotency;
  private final JdbcIdempotencyStore store;
  private final DataSource dataSource;
  private final MessagingProperties.Idempotency settings;
  private final IdempotencyConfig baseConfig;
  private final Duration waitTimeout;
  private final ListenerMetrics metrics;
  private final BeanFactory beanFactory;
  private final Map<Method, ListenerDefinition> definitions = new ConcurrentHashMap<>();

  private IdempotentListenerInterceptor(Builder b) {
    this.idempotency = b.idempotency;
    this.store = b.store;
    this.dataSource = b.dataSource;
    this.settings = b.settings;
    this.baseConfig = b.baseConfig;
    this.waitTimeout = b.waitTimeout;
    this.metrics = b.metrics;
    this.beanFactory = b.beanFactory;
  }

  public static Builder builder(Idempotency idempotency) {
    return new Builder(idempotency);
  }

  @Override
  public Object invoke(MethodInvocation invocation) throws Throwable {
    Method method = invocation.getMethod();
    Object target = invocation.getThis();
    Method specific =
        target == null ? method : AopUtils.getMostSpecificMethod(method, target.getClass());
    ListenerDefinition definition = definition(specific);
    if (definition == null || !settings.isEnabled()) {
      return invocation.proceed();
    }
    if (definition.batch) {
      return invokeBatch(invocation, definition);
    }
    InboundMessage message = InboundMessage.of(invocation.getArguments()[definition.messageIndex]);
    String name = definition.name;
    IdempotencyKey key = keyOf(definition, message);
    if (key == null) {
      return invocation.proceed();
    }
    RequestFingerprint fingerprint = definition.fingerprint(message);
    if (settings.isTransactional()
        && store != null
        && definition.config.getOutagePolicy() == OutagePolicy.FAIL_CLOSED
        && TransactionalCompletion.isActiveOn(dataSource)) {
      Optional<String> inserted;
      try {
        inserted =
            TransactionalCompletion.insertCompleted(
                store, dataSource, key, fingerprint, PROCESSED, definition.config.getRetention());
      } catch (IdempotencyStoreException e) {
        // The shared transaction is aborted: fail closed, the message is redelivered.
        metrics.record(name, Outcome.STORE_UNAVAILABLE);
        throw new IdempotencyStoreUnavailableException(key, e);
      }
      if (inserted.isPresent()) {
        return runInserted(invocation, definition, message, key, fingerprint, inserted.get());
      }
    }
    IdempotentExecution execution;
    try {
      execution = idempotency.begin(key, fingerprint, definition.config);
    } catch (IdempotencyKeyMismatchException e) {
      throw message.deadLetter(mismatch(name, e));
    } catch (IdempotencyConflictException e) {
      metrics.record(name, Outcome.CONFLICT);
      throw e;
    } catch (IdempotencyStoreUnavailableException e) {
      metrics.record(name, Outcome.STORE_UNAVAILABLE);
      throw e;
    }
    switch (execution.kind()) {
      case REPLAY -> {
        metrics.record(name, Outcome.DUPLICATE);
        log.debug("Duplicate of {} acknowledged without running '{}'", key, name);
        return null;
      }
      case UNGUARDED -> {
        metrics.record(name, Outcome.FAIL_OPEN);
        return invocation.proceed();
      }
      default -> {
        return runOwner(invocation, definition, message, execution);
      }
    }
  }

  private MessageRejectedException mismatch(String name, IdempotencyKeyMismatchException e) {
    metrics.record(name, Outcome.MISMATCHED);
    return new MessageRejectedException(
        name,
        Reason.MISMATCH,
        "key already used with a different payload; existing record " + e.getExistingState(),
        e);
  }

  /** What the batch path decided for one record. */
  private enum Decision {
    /** Inserted as completed by the batch statement: passed to the method. */
    INSERTED,
    /** Owned through the engine's claim: passed to the method, completed after it. */
    OWNER,
    /** No key (missing-key PROCESS) or store down under fail-open: passed, not deduplicated. */
    UNGUARDED,
    /** Recorded earlier or earlier in this batch with the same payload: not passed. */
    DUPLICATE,
    /** Dead-lettered: no or invalid key, or a mismatch. Not passed. */
    REJECTED
  }

  /**
   * A batch listener ({@code List<ConsumerRecord>}): decides every record first, calls the method
   * once with the records to process, and dead-letters the first rejected record after the
   * transaction committed, see "Batch listeners" on {@link IdempotentListener}.
   */
  private Object invokeBatch(MethodInvocation invocation, ListenerDefinition definition)
      throws Throwable {
    Object[] arguments = invocation.getArguments();
    List<?> records = (List<?>) arguments[definition.messageIndex];
    String name = definition.name;
    int n = records.size();
    IdempotencyKey[] keys = new IdempotencyKey[n];
    RequestFingerprint[] fingerprints = new RequestFingerprint[n];
    Decision[] decisions = new Decision[n];
    MessageRejectedException[] rejections = new MessageRejectedException[n];
    // The first delivery of each key decides; later ones follow it.
    Map<IdempotencyKey, Integer> first = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      InboundMessage message = InboundMessage.of(records.get(i));
      try {
        keys[i] = keyOf(definition, message);
      } catch (MessageRejectedException e) {
        decisions[i] = Decision.REJECTED;
        rejections[i] = e;
        continue;
      }
      if (keys[i] == null) {
        decisions[i] = Decision.UNGUARDED;
        continue;
      }
      fingerprints[i] = definition.fingerprint(message);
      first.putIfAbsent(keys[i], i);
    }
    boolean inTransaction =
        settings.isTransactional()
            && store != null
            && TransactionalCompletion.isActiveOn(dataSource);
    Map<IdempotencyKey, String> inserted = Map.of();
    if (inTransaction
        && !first.isEmpty()
        && definition.config.getOutagePolicy() == OutagePolicy.FAIL_CLOSED) {
      Map<IdempotencyKey, RequestFingerprint> candidates = new LinkedHashMap<>();
      first.forEach((key, i) -> candidates.put(key, fingerprints[i]));
      try {
        inserted =
            TransactionalCompletion.insertCompletedBatch(
                store, dataSource, candidates, PROCESSED, definition.config.getRetention());
      } catch (IdempotencyStoreException e) {
        // The shared transaction is aborted: fail closed, the batch is redelivered.
        metrics.record(name, Outcome.STORE_UNAVAILABLE);
        throw new IdempotencyStoreUnavailableException(first.keySet().iterator().next(), e);
      }
    }
    List<IdempotentExecution> owners = new ArrayList<>();
    try {
      for (int i : first.values()) {
        decisions[i] =
            inserted.containsKey(keys[i])
                ? Decision.INSERTED
                : claimForBatch(definition, keys[i], fingerprints[i], i, owners, rejections);
      }
      for (int i = 0; i < n; i++) {
        if (decisions[i] != null) {
          continue;
        }
        int leader = first.get(keys[i]);
        Decision decided = decisions[leader];
        if (decided == Decision.INSERTED
            || decided == Decision.OWNER
            || decided == Decision.DUPLICATE) {
          if (fingerprints[i].equals(fingerprints[leader])) {
            metrics.record(name, Outcome.DUPLICATE);
            decisions[i] = Decision.DUPLICATE;
          } else {
            decisions[i] = Decision.REJECTED;
            rejections[i] =
                mismatch(
                    name,
                    new IdempotencyKeyMismatchException(
                        keys[i],
                        decided == Decision.DUPLICATE
                            ? RecordState.COMPLETED
                            : RecordState.IN_PROGRESS));
          }
        } else {
          // The first delivery was a mismatch or ran unguarded: decide on the store.
          decisions[i] = claimForBatch(definition, keys[i], fingerprints[i], i, owners, rejections);
        }
      }
    } catch (RuntimeException e) {
      // A conflict or an outage: nothing runs, the batch is redelivered (a transaction rolls back).
      owners.forEach(execution -> execution.release(e));
      throw e;
    }
    List<Object> accepted = new ArrayList<>();
    int dedupAccepted = 0;
    int firstRejected = -1;
    for (int i = 0; i < n; i++) {
      Decision d = decisions[i];
      if (d == Decision.INSERTED || d == Decision.OWNER || d == Decision.UNGUARDED) {
        accepted.add(records.get(i));
        if (d != Decision.UNGUARDED) {
          dedupAccepted++;
        }
      } else if (d == Decision.REJECTED && firstRejected < 0) {
        firstRejected = i;
      }
    }
    AtomicBoolean failed = new AtomicBoolean();
    int insertedCount = inserted.size();
    if (!inserted.isEmpty()) {
      TransactionalCompletion.registerInsertedBatch(
          store,
          dataSource,
          inserted,
          failed::get,
          status -> {
            if (!failed.get()) {
              metrics.record(
                  name,
                  status == TransactionSynchronization.STATUS_COMMITTED
                      ? Outcome.PROCESSED
                      : Outcome.FAILED,
                  insertedCount);
            }
          });
    }
    Object result = null;
    if (!accepted.isEmpty()) {
      arguments[definition.messageIndex] = accepted;
      try {
        result = invocation.proceed();
      } catch (Throwable t) {
        failed.set(true);
        owners.forEach(execution -> execution.release(t));
        metrics.record(name, Outcome.FAILED, dedupAccepted);
        throw t;
      }
    }
    RuntimeException deadLetter =
        firstRejected < 0
            ? null
            : KafkaInboundMessage.batchFailed(
                rejections[firstRejected], records.get(firstRejected), firstRejected);
    if (inTransaction) {
      for (IdempotentExecution execution : owners) {
        completeInTransaction(name, execution);
      }
      if (deadLetter != null) {
        // After the commit: the records before it are committed, so the error handler may commit
        // their offsets, dead-letter this one and redeliver the rest (then duplicates).
        TransactionSynchronizationManager.registerSynchronization(
            new TransactionSynchronization() {
              @Override
              public void afterCommit() {
                throw deadLetter;
              }
            });
      }
      return result;
    }
    for (IdempotentExecution execution : owners) {
      completeProcessed(name, execution);
    }
    if (deadLetter != null) {
      throw deadLetter;
    }
    return result;
  }

  /** The engine's claim for one record of a batch whose key was not inserted. */
  private Decision claimForBatch(
      ListenerDefinition definition,
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      int index,
      List<IdempotentExecution> owners,
      MessageRejectedException[] rejections) {
    String name = definition.name;
    IdempotentExecution execution;
    try {
      execution = idempotency.begin(key, fingerprint, definition.config);
    } catch (IdempotencyKeyMismatchException e) {
      rejections[index] = mismatch(name, e);
      return Decision.REJECTED;
    } catch (IdempotencyConflictException e) {
      metrics.record(name, Outcome.CONFLICT);
      throw e;
    } catch (IdempotencyStoreUnavailableException e) {
      metrics.record(name, Outcome.STORE_UNAVAILABLE);
      throw e;
    }
    switch (execution.kind()) {
      case REPLAY -> {
        metrics.record(name, Outcome.DUPLICATE);
        return Decision.DUPLICATE;
      }
      case UNGUARDED -> {
        metrics.record(name, Outcome.FAIL_OPEN);
        return Decision.UNGUARDED;
      }
      default -> {
        owners.add(execution);
        return Decision.OWNER;
      }
    }
  }

  /**
   * The stored key of {@code message}: null for a message without a key under missing-key PROCESS
   * (logged and counted); the dead-letter exception ({@code MISSING_KEY}, {@code INVALID_KEY}) is
   * thrown for a message without a key otherwise or with an invalid one.
   */
  private IdempotencyKey keyOf(ListenerDefinition definition, InboundMessage message) {
    String name = definition.name;
    String clientKey = definition.key(message);
    if (clientKey == null || clientKey.isEmpty()) {
      if (definition.missingKey == IdempotentListener.MissingKey.PROCESS) {
        log.warn(
            "Message to @IdempotentListener '{}' has no key ({}); processing it WITHOUT"
                + " deduplication (missing-key PROCESS)",
            name,
            definition.keySource);
        metrics.record(name, Outcome.NO_KEY);
        return null;
      }
      throw reject(message, name, Reason.MISSING_KEY, "no key: " + definition.keySource, null);
    }
    if (clientKey.length() > settings.getMaxKeyLength()) {
      throw reject(
          message,
          name,
          Reason.INVALID_KEY,
          "key of "
              + clientKey.length()
              + " characters exceeds max-key-length "
              + settings.getMaxKeyLength(),
          null);
    }
    String scope = definition.scope != null ? definition.scope : message.defaultScope();
    if (scope == null || scope.isEmpty()) {
      throw new IllegalStateException(
          "@IdempotentListener '"
              + name
              + "' found no consumer group or queue to scope its keys: set scope = \"...\"");
    }
    IdempotencyKey key;
    try {
      key = IdempotencyKey.of(scope, definition.operation, clientKey);
    } catch (InvalidIdempotencyKeyException e) {
      if (!"clientKey".equals(e.getComponent())) {
        throw e;
      }
      throw reject(message, name, Reason.INVALID_KEY, e.getMessage(), e);
    }
    return key;
  }

  private Object runOwner(
      MethodInvocation invocation,
      ListenerDefinition definition,
      InboundMessage message,
      IdempotentExecution execution)
      throws Throwable {
    String name = definition.name;
    boolean inTransaction =
        settings.isTransactional()
            && store != null
            && TransactionalCompletion.isActiveOn(dataSource);
    Object result;
    try {
      result = invocation.proceed();
    } catch (Throwable t) {
      if (definition.isPoison(t)) {
        // Completed on the store's own connection: the listener's transaction rolls back.
        IdempotencyResult.Status status =
            execution.complete(
                StoredOutcome.of(
                    STATUS_POISON, Map.of("exception", t.getClass().getName()), new byte[0]));
        if (status != IdempotencyResult.Status.STORED) {
          log.warn("Poison outcome of {} was not stored: {}", execution.key(), status);
        }
        metrics.record(name, Outcome.POISON);
        throw message.deadLetter(
            new MessageRejectedException(name, Reason.POISON, t.getClass().getName(), t));
      }
      execution.release(t);
      metrics.record(name, Outcome.FAILED);
      throw t;
    }
    if (inTransaction) {
      try {
        completeInTransaction(name, execution);
      } catch (RuntimeException e) {
        execution.release(e);
        throw e;
      }
      return result;
    }
    completeProcessed(name, execution);
    return result;
  }

  /** Completes a processed message's record; a completion that was not stored is logged. */
  private void completeProcessed(String name, IdempotentExecution execution) {
    IdempotencyResult.Status status = execution.complete(PROCESSED);
    if (status != IdempotencyResult.Status.STORED) {
      log.warn(
          "{} was processed by '{}' but its completion was not stored ({}); a redelivery after"
              + " the lease expires runs it again",
          execution.key(),
          name,
          status);
    }
    metrics.record(name, Outcome.PROCESSED);
  }

  /**
   * Completes {@code execution} inside the listener's transaction (the transactional inbox): the
   * commit stores the key with the business write and counts it processed; a rollback (or an
   * unknown outcome) releases the key, since this owner stored nothing, and counts it failed.
   */
  private void completeInTransaction(String name, IdempotentExecution execution) {
    TransactionalCompletion.register(
        store,
        dataSource,
        execution,
        PROCESSED,
        status -> {
          if (status == TransactionSynchronization.STATUS_COMMITTED) {
            metrics.record(name, Outcome.PROCESSED);
          } else {
            execution.release(null);
            metrics.record(name, Outcome.FAILED);
          }
        });
  }

  /**
   * The owner of a key inserted as completed in the listener's transaction: runs the method; the
   * transaction's commit stores the key with the business write. A failed method's row is deleted
   * before a commit (the transaction normally rolls back anyway); a poison outcome is stored after
   * the transaction ended, on the store's own connection, when the key is free again.
   */
  private Object runInserted(
      MethodInvocation invocation,
      ListenerDefinition definition,
      InboundMessage message,
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      String ownerToken)
      throws Throwable {
    String name = definition.name;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicBoolean poison = new AtomicBoolean();
    TransactionalCompletion.registerInserted(
        store,
        dataSource,
        key,
        ownerToken,
        () -> failure.get() != null,
        status -> {
          if (poison.get()) {
            storePoison(definition, key, fingerprint, failure.get());
          } else if (failure.get() == null) {
            metrics.record(
                name,
                status == TransactionSynchronization.STATUS_COMMITTED
                    ? Outcome.PROCESSED
                    : Outcome.FAILED);
          }
        });
    try {
      return invocation.proceed();
    } catch (Throwable t) {
      failure.set(t);
      if (definition.isPoison(t)) {
        poison.set(true);
        metrics.record(name, Outcome.POISON);
        throw message.deadLetter(
            new MessageRejectedException(name, Reason.POISON, t.getClass().getName(), t));
      }
      metrics.record(name, Outcome.FAILED);
      throw t;
    }
  }

  /** After the transaction of a poison message ended: completes its key as failed. */
  private void storePoison(
      ListenerDefinition definition,
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      Throwable cause) {
    try (IdempotentExecution execution = idempotency.begin(key, fingerprint, definition.config)) {
      if (execution.kind() != IdempotentExecution.Kind.OWNER) {
        return;
      }
      IdempotencyResult.Status status =
          execution.complete(
              StoredOutcome.of(
                  STATUS_POISON, Map.of("exception", cause.getClass().getName()), new byte[0]));
      if (status != IdempotencyResult.Status.STORED) {
        log.warn("Poison outcome of {} was not stored: {}", key, status);
      }
    } catch (RuntimeException e) {
      log.warn(
          "Poison outcome of {} was not stored ({}); a redelivery runs '{}' again",
          key,
          e.toString(),
          definition.name);
    }
  }

  private RuntimeException reject(
      InboundMessage message, String name, Reason reason, String detail, Throwable cause) {
    metrics.record(name, Outcome.REJECTED);
    log.warn("@IdempotentListener '{}' dead-letters a message: {} ({})", name, reason, detail);
    return message.deadLetter(new MessageRejectedException(name, reason, detail, cause));
  }

  /** The settings of an annotated method, or null if it is not annotated. */
  ListenerDefinition definition(Method method) {
    ListenerDefinition cached = definitions.get(method);
    if (cached != null) {
      return cached;
    }
    IdempotentListener annotation =
        AnnotatedElementUtils.findMergedAnnotation(method, IdempotentListener.class);
    if (annotation == null) {
      return null;
    }
    return definitions.computeIfAbsent(method, m -> new ListenerDefinition(m, annotation));
  }

  /** The listener name an annotated method is known by. */
  static String nameOf(IdempotentListener annotation) {
    return annotation.name().isEmpty() ? annotation.operation() : annotation.name();
  }

  /** Index of a {@code List<ConsumerRecord>} parameter (a Kafka batch listener), or -1. */
  static int batchIndex(Method method) {
    if (!InboundMessage.KAFKA) {
      return -1;
    }
    Class<?>[] types = method.getParameterTypes();
    java.lang.reflect.Type[] generic = method.getGenericParameterTypes();
    for (int i = 0; i < types.length; i++) {
      if (List.class.isAssignableFrom(types[i])
          && generic[i] instanceof java.lang.reflect.ParameterizedType p
          && p.getActualTypeArguments().length == 1) {
        java.lang.reflect.Type element = p.getActualTypeArguments()[0];
        Class<?> raw =
            element instanceof java.lang.reflect.ParameterizedType pe
                ? (Class<?>) pe.getRawType()
                : element instanceof Class<?> c ? c : null;
        if (raw != null && KafkaInboundMessage.isMessageType(raw)) {
          return i;
        }
      }
    }
    return -1;
  }

  /** Index of the raw message parameter, or -1. */
  static int messageIndex(Method method) {
    Class<?>[] types = method.getParameterTypes();
    for (int i = 0; i < types.length; i++) {
      if (InboundMessage.isMessageType(types[i])) {
        return i;
      }
    }
    return -1;
  }

  /** One annotated method's resolved settings; validated when first resolved. */
  final class ListenerDefinition {
    final String name;
    final String operation;
    final String scope;
    final int messageIndex;
    final boolean batch;
    final String keyHeader;
    final Expression keyExpression;
    final Function<Object, String> keyFunction;
    final Expression fingerprintExpression;
    final IdempotentListener.MissingKey missingKey;
    final Class<? extends Throwable>[] poison;
    final IdempotencyConfig config;
    final String keySource;

    @SuppressWarnings("unchecked")
    ListenerDefinition(Method method, IdempotentListener annotation) {
      this.name = nameOf(annotation);
      this.operation = annotation.operation();
      if (operation.isEmpty()) {
        throw new IllegalStateException("@IdempotentListener on " + method + " needs an operation");
      }
      this.scope = annotation.scope().isEmpty() ? null : annotation.scope();
      int single = messageIndex(method);
      this.batch = single < 0 && batchIndex(method) >= 0;
      this.messageIndex = batch ? batchIndex(method) : single;
      if (messageIndex < 0) {
        throw new IllegalStateException(
            "@IdempotentListener method "
                + method
                + " must declare the raw message as a parameter: a Kafka ConsumerRecord, an AMQP"
                + " org.springframework.amqp.core.Message or an"
                + " org.springframework.messaging.Message, or a List<ConsumerRecord> for a Kafka"
                + " batch listener");
      }
      if (batch && annotation.poison().length > 0) {
        throw new IllegalStateException(
            "@IdempotentListener '"
                + name
                + "' on the batch listener "
                + method
                + " sets poison, which batch listeners do not support: throw Spring Kafka's"
                + " BatchListenerFailedException naming the record instead");
      }
      MessagingProperties.Listener overrides = settings.getListeners().get(name);
      String header = annotation.keyHeader();
      if (header.isEmpty() && overrides != null && overrides.getKeyHeader() != null) {
        header = overrides.getKeyHeader();
      }
      this.keyHeader = header.isEmpty() ? settings.getKeyHeader() : header;
      if (!annotation.key().isEmpty() && !annotation.keyFunction().isEmpty()) {
        throw new IllegalStateException(
            "@IdempotentListener '"
                + name
                + "' sets both key and keyFunction on "
                + method
                + "; choose one");
      }
      this.keyExpression =
          annotation.key().isEmpty() ? null : PARSER.parseExpression(annotation.key());
      if (!annotation.keyFunction().isEmpty()) {
        if (beanFactory == null) {
          throw new IllegalStateException(
              "@IdempotentListener '" + name + "' names keyFunction bean but has no BeanFactory");
        }
        this.keyFunction = beanFactory.getBean(annotation.keyFunction(), Function.class);
      } else {
        this.keyFunction = null;
      }
      this.keySource =
          keyExpression != null
              ? "key expression " + annotation.key()
              : keyFunction != null
                  ? "key function " + annotation.keyFunction()
                  : "header " + keyHeader + (InboundMessage.AMQP ? " or messageId" : "");
      this.fingerprintExpression =
          annotation.fingerprint().isEmpty()
              ? null
              : PARSER.parseExpression(annotation.fingerprint());
      IdempotentListener.MissingKey missing = annotation.missingKey();
      if (missing == IdempotentListener.MissingKey.DEFAULT
          && overrides != null
          && overrides.getMissingKey() != null) {
        missing = overrides.getMissingKey();
      }
      this.missingKey =
          missing == IdempotentListener.MissingKey.DEFAULT ? settings.getMissingKey() : missing;
      this.poison = annotation.poison();
      ConcurrencyMode mode =
          overrides != null && overrides.getConcurrency() != null
              ? overrides.getConcurrency()
              : settings.getConcurrency();
      Duration wait =
          overrides != null && overrides.getWaitTimeout() != null
              ? overrides.getWaitTimeout()
              : waitTimeout;
      IdempotencyConfig.Builder config =
          IdempotencyConfig.from(baseConfig)
              .outcomePolicy(OutcomePolicy.storeAll())
              .maxKeyLength(IdempotencyKey.ABSOLUTE_MAX_LENGTH);
      if (wait != null && wait.isZero()) {
        // WAIT with a zero wait-timeout answers at once, exactly like REJECT (as for HTTP).
        mode = ConcurrencyMode.REJECT;
      } else if (wait != null) {
        config.waitTimeout(wait);
      }
      this.config = config.concurrencyMode(mode).build();
    }

    String key(InboundMessage message) {
      if (keyExpression != null) {
        return Objects.toString(evaluate(keyExpression, message), null);
      }
      if (keyFunction != null) {
        return keyFunction.apply(message.raw());
      }
      String value = message.header(keyHeader);
      return value != null ? value : message.messageId();
    }

    RequestFingerprint fingerprint(InboundMessage message) {
      if (fingerprintExpression != null) {
        return RequestFingerprint.sha256(
            InboundMessage.bytesOf(evaluate(fingerprintExpression, message)));
      }
      return RequestFingerprint.sha256(message.payload());
    }

    boolean isPoison(Throwable t) {
      for (Class<? extends Throwable> type : poison) {
        if (type.isInstance(t)) {
          return true;
        }
      }
      return false;
    }

    private Object evaluate(Expression expression, InboundMessage message) {
      return expression.getValue(
          SimpleEvaluationContext.forReadOnlyDataBinding().withInstanceMethods().build(),
          message.raw());
    }
  }

  /** Builder for {@link IdempotentListenerInterceptor}. */
  public static final class Builder {
    private final Idempotency idempotency;
    private JdbcIdempotencyStore store;
    private DataSource dataSource;
    private MessagingProperties.Idempotency settings = new MessagingProperties.Idempotency();
    private IdempotencyConfig baseConfig = IdempotencyConfig.ofDefaults();
    private Duration waitTimeout;
    private ListenerMetrics metrics = ListenerMetrics.NONE;
    private BeanFactory beanFactory;

    private Builder(Idempotency idempotency) {
      this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
    }

    /**
     * The JDBC store and its DataSource: a listener running in a transaction on that DataSource
     * completes its key inside the transaction. Without it keys are completed after the method.
     */
    public Builder transactionalStore(JdbcIdempotencyStore store, DataSource dataSource) {
      this.store = Objects.requireNonNull(store, "store");
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /** Listener settings; default those of a fresh {@link MessagingProperties}. */
    public Builder settings(MessagingProperties.Idempotency settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** Lease, retention, wait and outage settings every listener's config starts from. */
    public Builder baseConfig(IdempotencyConfig baseConfig) {
      this.baseConfig = Objects.requireNonNull(baseConfig, "baseConfig");
      return this;
    }

    /**
     * Longest wait under {@link ConcurrencyMode#WAIT} for listeners without their own {@code
     * wait-timeout} ({@code reliability.idempotency.wait-timeout}); zero answers at once, like
     * {@link ConcurrencyMode#REJECT}. Unset means {@link #baseConfig}'s.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder waitTimeout(Duration waitTimeout) {
      Objects.requireNonNull(waitTimeout, "waitTimeout");
      if (waitTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "waitTimeout must not be negative, but was " + waitTimeout);
      }
      this.waitTimeout = waitTimeout;
      return this;
    }

    /** Records {@code reliability.messaging.listener.messages} counters in {@code registry}. */
    public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
      this.metrics = new MicrometerListenerMetrics(Objects.requireNonNull(registry, "registry"));
      return this;
    }

    /** Resolves {@link IdempotentListener#keyFunction()} beans. */
    public Builder beanFactory(BeanFactory beanFactory) {
      this.beanFactory = Objects.requireNonNull(beanFactory, "beanFactory");
      return this;
    }

    public IdempotentListenerInterceptor build() {
      return new IdempotentListenerInterceptor(this);
    }
  }
}
