package io.github.reliability4j.core.idempotency;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotency engine: runs an action at most once per {@link IdempotencyKey} (while its record
 * lives) and gives every caller of that key the same outcome.
 *
 * <pre>{@code
 * Idempotency idempotency = Idempotency.builder(InMemoryIdempotencyStore.create())
 *     .defaultConfig(IdempotencyConfig.ofDefaults())
 *     .operationConfig("create-payment", IdempotencyConfig.custom()
 *         .concurrencyMode(ConcurrencyMode.WAIT).build())
 *     .build();
 * IdempotencyKey key = IdempotencyKey.of(tenantId, "create-payment", headerValue);
 * RequestFingerprint fp = RequestFingerprint.ofParts("POST", "/payments", body);
 * String receipt = idempotency.execute(key, fp, OutcomeCodec.utf8(), () -> pay(body)).value();
 * }</pre>
 *
 * <h2>Per call</h2>
 *
 * <ol>
 *   <li>Arguments are checked before any store call: null key, fingerprint or action throw {@link
 *       NullPointerException} naming the argument; key components longer than the operation's
 *       {@code maxKeyLength} throw {@link InvalidIdempotencyKeyException}.
 *   <li>One atomic {@link IdempotencyStore#claim claim}. New (or taken-over) key: the action runs
 *       on the caller's thread, with the lease renewed in the background; its outcome is stored or
 *       the key released according to the {@link OutcomePolicy} and the size limit. An exception
 *       from the action releases the key and is rethrown unchanged.
 *   <li>Completed: the stored outcome is replayed; the action does not run.
 *   <li>In progress: {@link ConcurrencyMode#REJECT} throws {@link IdempotencyConflictException};
 *       {@link ConcurrencyMode#WAIT} waits (woken at once by owners in this engine, otherwise
 *       polling) and then replays, or runs the action itself if the owner released the key.
 *   <li>Different fingerprint: {@link IdempotencyKeyMismatchException}.
 *   <li>Store failure, timeout or open circuit breaker on claim: {@link OutagePolicy}.
 * </ol>
 *
 * <h2>Guarantees and limits</h2>
 *
 * Thread-safe. Store calls pass through a Resilience4j {@link CircuitBreaker} and, unless disabled,
 * the store-call timeout: <b>a hung store call never blocks a caller for longer than the
 * timeout</b> (it then fails with {@link IdempotencyStoreTimeoutException}, which the breaker
 * counts and the {@link OutagePolicy} answers). How the timeout is enforced depends on the store:
 *
 * <ul>
 *   <li>A store that bounds its own calls ({@link IdempotencyStore#withCallTimeout} returns a view
 *       when the engine is built: the JDBC store on a HikariCP pool whose connection wait fits the
 *       timeout, the Redis store) is called on the caller's thread; the store's query, network,
 *       pool and command timeouts cut a hung call off at the timeout.
 *   <li>Any other store is called on the store executor and abandoned (and interrupted) when the
 *       timeout elapses; the caller's thread hands every call over and waits for it.
 *   <li>A store that declares itself {@link IdempotencyStore#isLocal() local} (the in-memory store)
 *       is called directly on the caller's thread, bypassing timeout and breaker: it cannot hang or
 *       have an outage; an exception it throws still counts as a store failure under the {@link
 *       OutagePolicy}.
 * </ul>
 *
 * {@link #storeCallsHandedOff()} tells which applies. Not guaranteed: exactly-once execution when a
 * lease expires while its action still runs (renewal makes this unlikely, the fencing makes it
 * visible as {@code LEASE_LOST}); or when the outcome cannot be stored (store error after the
 * action ran: the record stays in progress until its lease expires, then a retry runs the action
 * again). Events are delivered synchronously to the listeners; see {@link
 * IdempotencyEventListener}.
 */
public final class Idempotency {

  private static final Logger log = LoggerFactory.getLogger(Idempotency.class);

  /** Timeout applied to each store call unless configured otherwise. */
  public static final Duration DEFAULT_STORE_CALL_TIMEOUT = Duration.ofSeconds(2);

  private final IdempotencyStore store;
  private final IdempotencyConfig defaultConfig;
  private final Map<String, IdempotencyConfig> operationConfigs;
  private final Clock clock;
  private final List<IdempotencyEventListener> listeners;
  private final CircuitBreaker circuitBreaker;
  private final Duration storeCallTimeout;
  private final boolean localStore;

  /** What the engine calls: the store itself, or its self-bounded view. */
  private final IdempotencyStore callStore;

  /** Whether each call runs on the store executor under the timeout. */
  private final boolean handOff;

  private final ExecutorService storeExecutor;
  private final LeaseSweeper leaseSweeper;
  private final ConcurrentMap<IdempotencyKey, CompletableFuture<Void>> signals =
      new ConcurrentHashMap<>();

  private Idempotency(Builder b) {
    this.store = b.store;
    this.defaultConfig = b.defaultConfig;
    this.operationConfigs = Map.copyOf(b.operationConfigs);
    this.clock = b.clock;
    this.listeners = List.copyOf(b.listeners);
    this.circuitBreaker =
        b.circuitBreaker != null
            ? b.circuitBreaker
            : CircuitBreaker.of("idempotency-store", defaultCircuitBreakerConfig());
    this.storeCallTimeout = b.storeCallTimeout;
    this.localStore = b.store.isLocal();
    IdempotencyStore bounded =
        localStore || storeCallTimeout == null
            ? null
            : Objects.requireNonNull(
                    b.store.withCallTimeout(storeCallTimeout), "withCallTimeout returned null")
                .orElse(null);
    this.callStore = bounded != null ? bounded : b.store;
    this.handOff = !localStore && storeCallTimeout != null && bounded == null;
    this.storeExecutor = b.storeExecutor != null ? b.storeExecutor : Defaults.STORE_EXECUTOR;
    this.leaseSweeper =
        b.renewalScheduler != null ? new LeaseSweeper(b.renewalScheduler) : Defaults.LEASE_SWEEPER;
  }

  /** An engine with default settings for every operation. */
  public static Idempotency of(IdempotencyStore store) {
    return builder(store).build();
  }

  /** An engine applying {@code config} to every operation. */
  public static Idempotency of(IdempotencyStore store, IdempotencyConfig config) {
    return builder(store).defaultConfig(config).build();
  }

  public static Builder builder(IdempotencyStore store) {
    return new Builder(store);
  }

  /**
   * The circuit breaker config used when none is supplied: opens when at least half of the last 20
   * store calls (minimum 10) failed or timed out, and probes again after 5 seconds.
   */
  public static CircuitBreakerConfig defaultCircuitBreakerConfig() {
    return CircuitBreakerConfig.custom()
        .slidingWindowSize(20)
        .minimumNumberOfCalls(10)
        .failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(5))
        .build();
  }

  /**
   * Runs an action producing an HTTP-like outcome once per key; replays it to every later caller.
   *
   * @throws NullPointerException if an argument is null, or the action returns null (the key is
   *     then released)
   * @throws InvalidIdempotencyKeyException if the key exceeds the operation's maxKeyLength
   * @throws IdempotencyConflictException the key is in progress elsewhere
   * @throws IdempotencyKeyMismatchException the key belongs to a request with another fingerprint
   * @throws IdempotencyStoreUnavailableException store down and outage policy FAIL_CLOSED
   */
  public IdempotencyResult<StoredOutcome> execute(
      IdempotencyKey key, RequestFingerprint fingerprint, Supplier<StoredOutcome> action) {
    Objects.requireNonNull(action, "action");
    return run(key, fingerprint, action, Idempotency::requireOutcome, null);
  }

  private static StoredOutcome requireOutcome(StoredOutcome outcome) {
    return Objects.requireNonNull(outcome, "action returned null; it must return a StoredOutcome");
  }

  /**
   * Runs an action producing a typed value once per key; the value is stored through {@code codec}
   * and decoded for every later caller. A {@code null} value is stored as {@link
   * StoredOutcome#STATUS_NO_CONTENT} and replayed as {@code null}; a value is stored as {@link
   * StoredOutcome#STATUS_OK}. The executing caller gets the action's own value, not a decoded copy.
   *
   * @throws NullPointerException if an argument is null
   * @see #execute(IdempotencyKey, RequestFingerprint, Supplier)
   */
  public <T> IdempotencyResult<T> execute(
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      OutcomeCodec<T> codec,
      Supplier<T> action) {
    Objects.requireNonNull(codec, "codec");
    Objects.requireNonNull(action, "action");
    return run(
        key,
        fingerprint,
        action,
        value ->
            value == null
                ? StoredOutcome.of(StoredOutcome.STATUS_NO_CONTENT, new byte[0])
                : StoredOutcome.of(StoredOutcome.STATUS_OK, codec.encode(value)),
        outcome ->
            outcome.status() == StoredOutcome.STATUS_NO_CONTENT && outcome.bodyLength() == 0
                ? null
                : codec.decode(outcome.body()));
  }

  /** {@code decode} is null when T is StoredOutcome itself: a replay returns the outcome as is. */
  private <T> IdempotencyResult<T> run(
      IdempotencyKey key,
      RequestFingerprint fingerprint,
      Supplier<T> action,
      Function<T, StoredOutcome> encode,
      Function<StoredOutcome, T> decode) {
    Objects.requireNonNull(key, "key");
    IdempotencyConfig config = configFor(key.operation());
    ClaimResult claimed = claim(key, fingerprint, config);
    if (claimed instanceof ClaimResult.Completed) {
      StoredOutcome outcome = ((ClaimResult.Completed) claimed).outcome();
      if (decode == null) {
        // A stored outcome replays as itself: its result is built once per outcome, so a replay
        // through a store that keeps its outcomes (the in-memory one) allocates nothing.
        @SuppressWarnings("unchecked")
        IdempotencyResult<T> replayed = (IdempotencyResult<T>) outcome.replayed();
        return replayed;
      }
      // No execution object for a finished hold: the replay allocates only the result.
      return new IdempotencyResult<>(decode.apply(outcome), IdempotencyResult.Status.REPLAYED);
    }
    try (IdempotentExecution execution = hold(key, config, (ClaimResult.Acquired) claimed)) {
      T value;
      StoredOutcome outcome;
      try {
        value = action.get();
        outcome = encode.apply(value);
      } catch (RuntimeException | Error e) {
        execution.release(e);
        throw e;
      }
      return new IdempotencyResult<>(value, execution.complete(outcome));
    }
  }

  /**
   * Claims {@code key} (applying concurrency mode and outage policy) and returns the hold; see
   * {@link IdempotentExecution}. Callers must finish an {@link IdempotentExecution.Kind#OWNER}
   * execution, ideally with try-with-resources.
   *
   * @throws NullPointerException if an argument is null
   * @throws InvalidIdempotencyKeyException if the key exceeds the operation's maxKeyLength
   * @throws IdempotencyConflictException the key is in progress elsewhere
   * @throws IdempotencyKeyMismatchException the key belongs to a request with another fingerprint
   * @throws IdempotencyStoreUnavailableException store down and outage policy FAIL_CLOSED
   */
  public IdempotentExecution begin(IdempotencyKey key, RequestFingerprint fingerprint) {
    Objects.requireNonNull(key, "key");
    return begin(key, fingerprint, configFor(key.operation()));
  }

  /**
   * Like {@link #begin(IdempotencyKey, RequestFingerprint)} with an explicit config instead of the
   * one registered for the key's operation — for layers that derive settings per call site (an
   * annotation's attributes). Callers should reuse config instances rather than build one per call.
   *
   * @throws NullPointerException if an argument is null
   */
  public IdempotentExecution begin(
      IdempotencyKey key, RequestFingerprint fingerprint, IdempotencyConfig config) {
    Objects.requireNonNull(key, "key");
    ClaimResult claimed = claim(key, fingerprint, config);
    return claimed instanceof ClaimResult.Completed
        ? IdempotentExecution.replay(this, config, key, ((ClaimResult.Completed) claimed).outcome())
        : hold(key, config, (ClaimResult.Acquired) claimed);
  }

  /**
   * The result of the claim loop when the outage policy lets the action run without dedup: {@link
   * #hold} turns exactly this instance (compared by identity) into an UNGUARDED execution.
   */
  private static final ClaimResult.Acquired UNGUARDED =
      new ClaimResult.Acquired("unguarded", Instant.EPOCH, false);

  /**
   * Turns what the claim loop acquired into the caller's hold: an OWNER execution whose lease
   * renewal has started, or an UNGUARDED one for {@link #UNGUARDED}.
   */
  private IdempotentExecution hold(
      IdempotencyKey key, IdempotencyConfig config, ClaimResult.Acquired acquired) {
    if (acquired == UNGUARDED) {
      return IdempotentExecution.unguarded(this, config, key);
    }
    IdempotentExecution execution = IdempotentExecution.owner(this, config, key, acquired);
    try {
      execution.startRenewal();
    } catch (RuntimeException e) {
      // A rejected renewal schedule must not leak the claim.
      execution.close();
      throw e;
    }
    return execution;
  }

  /**
   * The claim loop behind {@link #begin} and {@link #execute}. Returns only two of the four {@link
   * ClaimResult} kinds: {@link ClaimResult.Completed} (replay its outcome) or {@link
   * ClaimResult.Acquired} (the caller owns the key; {@link #UNGUARDED} when the outage policy runs
   * the action without dedup), which {@link #hold} turns into an execution. In progress (after any
   * waiting), mismatch and outages under FAIL_CLOSED throw as documented on begin.
   */
  private ClaimResult claim(
      IdempotencyKey key, RequestFingerprint fingerprint, IdempotencyConfig config) {
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(config, "config");
    key.requireMaxLength(config.getMaxKeyLength());
    boolean wait = config.getConcurrencyMode() == ConcurrencyMode.WAIT;
    // The clock is read only when something uses it: the WAIT deadline or event durations.
    long start = wait || !listeners.isEmpty() ? System.nanoTime() : 0L;
    long deadline = start + config.getWaitTimeout().toNanos();
    boolean waited = false;
    while (true) {
      CompletableFuture<Void> signal =
          wait ? signals.computeIfAbsent(key, k -> new CompletableFuture<>()) : null;
      ClaimResult result;
      try {
        result =
            localStore
                ? store.claim(key, fingerprint, config.getLeaseDuration())
                : guarded(
                    () ->
                        callStore.claim(
                            key, fingerprint, config.getLeaseDuration(), config.getRetention()));
      } catch (RuntimeException e) {
        forget(key, signal);
        publish(IdempotencyEvent.Type.STORE_ERROR, key, start, "claim failed", e);
        if (config.getOutagePolicy() == OutagePolicy.FAIL_OPEN) {
          log.warn("Idempotency store unavailable; running {} without dedup (FAIL_OPEN)", key, e);
          publish(IdempotencyEvent.Type.FAIL_OPEN, key, start, "running without dedup", e);
          return UNGUARDED;
        }
        throw new IdempotencyStoreUnavailableException(key, e);
      }
      if (result instanceof ClaimResult.Completed) {
        forget(key, signal);
        StoredOutcome outcome = ((ClaimResult.Completed) result).outcome();
        if (!listeners.isEmpty()) {
          publish(
              IdempotencyEvent.Type.REPLAYED,
              key,
              start,
              "status " + outcome.status() + (waited ? " after waiting" : ""),
              null);
        }
        return result;
      }
      if (result instanceof ClaimResult.Acquired) {
        forget(key, signal);
        ClaimResult.Acquired acquired = (ClaimResult.Acquired) result;
        if (acquired.takeover()) {
          publish(
              IdempotencyEvent.Type.TAKEOVER,
              key,
              start,
              "took over an expired in-progress record",
              null);
        } else {
          publish(IdempotencyEvent.Type.CLAIMED, key, start, null, null);
        }
        return acquired;
      }
      if (result instanceof ClaimResult.Mismatch) {
        forget(key, signal);
        RecordState state = ((ClaimResult.Mismatch) result).existingState();
        publish(IdempotencyEvent.Type.MISMATCH, key, start, "existing " + state, null);
        throw new IdempotencyKeyMismatchException(key, state);
      }
      ClaimResult.InProgress inProgress = (ClaimResult.InProgress) result;
      long remaining = deadline - System.nanoTime();
      if (!wait || remaining <= 0) {
        forget(key, signal);
        publish(IdempotencyEvent.Type.CONFLICT, key, start, "in progress", null);
        throw new IdempotencyConflictException(key, inProgress.leaseExpiry(), waited);
      }
      waited = true;
      try {
        signal.get(
            Math.min(remaining, config.getWaitPollInterval().toNanos()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // Poll again: the owner may live in another process and never signal us.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        forget(key, signal);
        publish(IdempotencyEvent.Type.CONFLICT, key, start, "interrupted while waiting", e);
        throw new IdempotencyConflictException(key, inProgress.leaseExpiry(), true);
      }
    }
  }

  /** The config for {@code operation}: its own if registered, else the default. */
  public IdempotencyConfig configFor(String operation) {
    Objects.requireNonNull(operation, "operation");
    return operationConfigs.isEmpty()
        ? defaultConfig
        : operationConfigs.getOrDefault(operation, defaultConfig);
  }

  /** The circuit breaker around store calls (for metrics or manual transitions). */
  public CircuitBreaker getCircuitBreaker() {
    return circuitBreaker;
  }

  /** The store this engine uses (as passed to the builder, never its self-bounded view). */
  public IdempotencyStore store() {
    return store;
  }

  /**
   * Whether each store call is handed to the store executor and abandoned at the store-call
   * timeout: true unless the store is {@link IdempotencyStore#isLocal() local}, the timeout is
   * disabled ({@link Builder#withoutStoreCallTimeout()}), or the store bounds its own calls ({@link
   * IdempotencyStore#withCallTimeout} returned a view when this engine was built). For operators
   * checking that the cheaper direct path is in use.
   */
  public boolean storeCallsHandedOff() {
    return handOff;
  }

  /** The store every call goes to: {@link #store()} or its self-bounded view. */
  IdempotencyStore callStore() {
    return callStore;
  }

  private void forget(IdempotencyKey key, CompletableFuture<Void> signal) {
    if (signal != null) {
      signals.remove(key, signal);
    }
  }

  void signal(IdempotencyKey key) {
    CompletableFuture<Void> f = signals.remove(key);
    if (f != null) {
      f.complete(null);
    }
  }

  /** The one task renewing every owner's lease on this engine's renewal scheduler. */
  LeaseSweeper leaseSweeper() {
    return leaseSweeper;
  }

  /**
   * Calls the store through circuit breaker and timeout; on failure publishes STORE_ERROR and
   * returns null.
   */
  <T> T storeCall(IdempotencyKey key, String operation, Supplier<T> call) {
    long start = System.nanoTime();
    try {
      return guarded(call);
    } catch (RuntimeException e) {
      log.warn("Idempotency store {} failed for {}", operation, key, e);
      publish(IdempotencyEvent.Type.STORE_ERROR, key, since(start), operation + " failed", e);
      return null;
    }
  }

  private <T> T guarded(Supplier<T> call) {
    if (localStore) {
      return call.get();
    }
    return circuitBreaker.executeSupplier(handOff ? () -> withTimeout(call) : call);
  }

  private <T> T withTimeout(Supplier<T> call) {
    Future<T> future;
    try {
      future = storeExecutor.submit(call::get);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      throw new IdempotencyStoreException(
          "Idempotency store executor is full (store calls are hanging or too slow): call rejected",
          e);
    }
    try {
      return future.get(storeCallTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new IdempotencyStoreTimeoutException(
          "Idempotency store call timed out after "
              + storeCallTimeout
              + " (abandoned on the store executor)",
          storeCallTimeout,
          e);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new IdempotencyStoreException("Interrupted while waiting for the idempotency store", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IdempotencyStoreException("Idempotency store call failed", cause);
    }
  }

  /** Publishes with the time elapsed since {@code startNanos}, read only if someone listens. */
  private void publish(
      IdempotencyEvent.Type type,
      IdempotencyKey key,
      long startNanos,
      String detail,
      Throwable error) {
    if (!listeners.isEmpty()) {
      publish(type, key, since(startNanos), detail, error);
    }
  }

  void publish(
      IdempotencyEvent.Type type,
      IdempotencyKey key,
      Duration duration,
      String detail,
      Throwable error) {
    if (listeners.isEmpty()) {
      return;
    }
    IdempotencyEvent event =
        new IdempotencyEvent(type, key, clock.instant(), duration, detail, error);
    for (IdempotencyEventListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("Idempotency event listener {} threw on {}", listener, event, e);
      }
    }
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Builder for {@link Idempotency}. Not thread-safe. */
  public static final class Builder {
    private final IdempotencyStore store;
    private IdempotencyConfig defaultConfig = IdempotencyConfig.ofDefaults();
    private final Map<String, IdempotencyConfig> operationConfigs = new HashMap<>();
    private Clock clock = Clock.systemUTC();
    private final List<IdempotencyEventListener> listeners = new ArrayList<>();
    private CircuitBreaker circuitBreaker;
    private Duration storeCallTimeout = DEFAULT_STORE_CALL_TIMEOUT;
    private ExecutorService storeExecutor;
    private ScheduledExecutorService renewalScheduler;

    private Builder(IdempotencyStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** Config for operations without their own. */
    public Builder defaultConfig(IdempotencyConfig config) {
      this.defaultConfig = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Config for one operation name (exact match with {@link IdempotencyKey#operation()}). */
    public Builder operationConfig(String operation, IdempotencyConfig config) {
      Objects.requireNonNull(operation, "operation");
      Objects.requireNonNull(config, "config");
      IdempotencyKey.validate("operation", operation, IdempotencyKey.ABSOLUTE_MAX_LENGTH);
      operationConfigs.put(operation, config);
      return this;
    }

    /** Clock for event timestamps (stores have their own clock for leases). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder listener(IdempotencyEventListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * The circuit breaker around store calls; default {@link #defaultCircuitBreakerConfig()}. Not
     * used for a {@link IdempotencyStore#isLocal() local} store.
     */
    public Builder circuitBreaker(CircuitBreaker circuitBreaker) {
      this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "circuitBreaker");
      return this;
    }

    /**
     * Bound on each store call: a caller never waits longer for one (plus the time to notice). A
     * call cut off by it fails with {@link IdempotencyStoreTimeoutException} and counts as a store
     * failure. Default {@link #DEFAULT_STORE_CALL_TIMEOUT}. The engine hands it to the store
     * ({@link IdempotencyStore#withCallTimeout}) when it is built: a store that can bound its own
     * calls to it is then called on the caller's thread; any other store's calls run on the {@link
     * #storeExecutor store executor} and are abandoned and interrupted at the timeout. Not applied
     * to a {@link IdempotencyStore#isLocal() local} store, which is always called directly.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder storeCallTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "storeCallTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("storeCallTimeout must be positive, but was " + timeout);
      }
      this.storeCallTimeout = timeout;
      return this;
    }

    /**
     * Calls the store on the caller's thread without a timeout: no thread hand-off, for stores that
     * cannot block but do not declare themselves {@link IdempotencyStore#isLocal() local} (a local
     * store is always called this way). A hanging store then hangs the caller. A store that bounds
     * its own calls ({@link IdempotencyStore#withCallTimeout}) needs no such choice: with the
     * timeout on it is already called on the caller's thread, and its calls stay bounded.
     */
    public Builder withoutStoreCallTimeout() {
      this.storeCallTimeout = null;
      return this;
    }

    /**
     * Executor running store calls under the timeout, for stores that cannot bound their own calls
     * (see {@link #storeCallTimeout}; unused otherwise); default a shared bounded pool of 32 daemon
     * threads with a queue of 1,000 calls, so a hung store cannot pile up threads. An executor that
     * rejects a call (the default one when full) makes it count as a store failure: the circuit
     * breaker records it and the {@link OutagePolicy} decides the caller's outcome.
     */
    public Builder storeExecutor(ExecutorService executor) {
      this.storeExecutor = Objects.requireNonNull(executor, "storeExecutor");
      return this;
    }

    /**
     * Scheduler for lease renewals; default a shared single daemon thread. Whatever the number of
     * owners, it runs one periodic task per scheduler (see {@code LeaseSweeper}), which renews each
     * owner within one period of its renewal interval.
     */
    public Builder renewalScheduler(ScheduledExecutorService scheduler) {
      this.renewalScheduler = Objects.requireNonNull(scheduler, "renewalScheduler");
      return this;
    }

    public Idempotency build() {
      return new Idempotency(this);
    }
  }

  static final class Defaults {
    static final int STORE_THREADS = 32;
    static final int STORE_QUEUE = 1_000;
    static final ExecutorService STORE_EXECUTOR = newStoreExecutor(STORE_THREADS, STORE_QUEUE);

    /**
     * At most {@code threads} daemon threads (idle ones end after 30 s) and {@code queue} waiting
     * calls; beyond that a call is rejected, which counts as a store failure (outage policy). A
     * hung store therefore holds at most {@code threads} threads, however many callers time out.
     */
    static ExecutorService newStoreExecutor(int threads, int queue) {
      java.util.concurrent.ThreadPoolExecutor e =
          new java.util.concurrent.ThreadPoolExecutor(
              threads,
              threads,
              30,
              TimeUnit.SECONDS,
              new java.util.concurrent.ArrayBlockingQueue<>(queue),
              daemon("reliability4j-idempotency-store-"),
              new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());
      e.allowCoreThreadTimeOut(true);
      return e;
    }

    static final ScheduledExecutorService RENEWAL_SCHEDULER = newScheduler();

    /** Shared by every engine on the default scheduler: one sweep task for all their owners. */
    static final LeaseSweeper LEASE_SWEEPER = new LeaseSweeper(RENEWAL_SCHEDULER);

    private static ScheduledExecutorService newScheduler() {
      ScheduledThreadPoolExecutor s =
          new ScheduledThreadPoolExecutor(1, daemon("reliability4j-idempotency-renewal-"));
      s.setRemoveOnCancelPolicy(true);
      return s;
    }

    private static ThreadFactory daemon(String prefix) {
      AtomicInteger n = new AtomicInteger();
      return r -> {
        Thread t = new Thread(r, prefix + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
    }
  }
}
