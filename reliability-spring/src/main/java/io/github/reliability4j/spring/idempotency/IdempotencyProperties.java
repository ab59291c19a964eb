package io.github.reliability4j.spring.idempotency;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Settings for {@link Idempotent @Idempotent} endpoints, bound from {@code
 * reliability.idempotency.*}.
 *
 * <p>Validated when bound: an invalid value fails start-up with a report naming the property, its
 * value and its origin.
 */
@ConfigurationProperties(prefix = "reliability.idempotency")
public class IdempotencyProperties implements Validator {

  /** Headers that are never stored or replayed, whatever {@code replay-headers} says. */
  static final Set<String> SENSITIVE_HEADERS =
      Set.of(
          "set-cookie",
          "set-cookie2",
          "authorization",
          "proxy-authorization",
          "proxy-authenticate",
          "www-authenticate",
          "cookie");

  /** Whether {@code @Idempotent} endpoints are enforced. */
  private boolean enabled = true;

  /** Request header carrying the client's idempotency key. */
  private String headerName = "Idempotency-Key";

  /** Longest accepted key, in characters; longer keys are rejected with 400. */
  private int maxKeyLength = 255;

  /** How long a completed response is kept for replay. */
  private Duration retention = Duration.ofHours(24);

  /**
   * How long an in-flight record stays locked before a retry may take it over (the first worker is
   * presumed dead). Must exceed the slowest expected execution of an idempotent endpoint.
   */
  private Duration leaseDuration = Duration.ofSeconds(30);

  /** Default wait for endpoints declaring {@code concurrency = WAIT}. */
  private Duration waitTimeout = Duration.ofSeconds(10);

  /** Value of the {@code Retry-After} header sent with 409 while the first request is in flight. */
  private Duration retryAfter = Duration.ofSeconds(1);

  /** Largest request body that is fingerprinted; larger bodies are rejected with 413. */
  private DataSize maxBodySize = DataSize.ofMegabytes(1);

  /**
   * Response headers stored and replayed besides status and body (case-insensitive). Sensitive
   * headers (Set-Cookie, Authorization, WWW-Authenticate, ...) are never stored.
   */
  private List<String> replayHeaders =
      new ArrayList<>(
          List.of(
              "Location",
              "ETag",
              "Content-Type",
              "Content-Location",
              "Content-Language",
              "Last-Modified",
              "Link"));

  /**
   * How a JSON request body ({@code application/json} or {@code application/*+json}) enters the
   * request fingerprint: {@code canonical} (whitespace and object member order do not matter;
   * strings by value, numbers by exact lexeme; invalid JSON falls back to raw) or {@code raw} (the
   * bytes as sent). Other bodies are always fingerprinted as sent.
   */
  private JsonFingerprint jsonFingerprint = JsonFingerprint.CANONICAL;

  /** Which store keeps idempotency records. */
  private StoreType store = StoreType.AUTO;

  /** What an idempotent endpoint does while its store is unreachable. */
  private StoreFailureMode storeFailureMode = StoreFailureMode.FAIL_CLOSED;

  /** Whether records are scoped by the authenticated principal (strongly recommended). */
  private boolean scopeByPrincipal = true;

  /**
   * Upper bound of each idempotency store call (claim, complete, release, renew) made by the
   * engine; a call that takes longer counts as a store failure (see store-failure-mode). 0 disables
   * the bound (the store's own timeouts, e.g. jdbc.query-timeout, still apply).
   */
  private Duration storeCallTimeout = Duration.ofSeconds(2);

  /**
   * Largest response (status + stored headers + body) that is stored; larger ones run, are
   * returned, and release the key.
   */
  private DataSize maxStoredResponseSize = DataSize.ofMegabytes(1);

  /**
   * Whether {@code @Idempotent} handlers that run inside a Spring transaction on the JDBC store's
   * DataSource complete the key in that same transaction (the business write and the stored
   * response commit or roll back together). Takes effect only with the JDBC store and a
   * DataSourceTransactionManager (or JdbcTransactionManager / JpaTransactionManager) on the same
   * DataSource.
   */
  private boolean transactional = true;

  /** Outbound {@code RestClient} retries with one idempotency key per logical call. */
  private final Client client = new Client();

  /** Settings of the {@link IdempotentRetryInterceptor} applied to auto-configured RestClients. */
  public static class Client {
    /** Whether every auto-configured {@code RestClient.Builder} gets the retry interceptor. */
    private boolean enabled = false;

    /** Total attempts per logical call, including the first. */
    private int maxAttempts = 3;

    /** Pause between attempts. */
    private Duration wait = Duration.ofMillis(200);

    /** HTTP methods that get a key and are retried. */
    private List<String> methods = new ArrayList<>(List.of("POST", "PATCH"));

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getWait() {
      return wait;
    }

    public void setWait(Duration wait) {
      this.wait = wait;
    }

    public List<String> getMethods() {
      return methods;
    }

    public void setMethods(List<String> methods) {
      this.methods = methods;
    }
  }

  /** Settings of the JDBC store. */
  private final Jdbc jdbc = new Jdbc();

  /** Settings of the JDBC store (used when a DataSource exists and store is auto or jdbc). */
  public static class Jdbc {
    /** Table holding idempotency records. */
    private String tableName = "reliability_idempotency";

    /** Whether the table is created at start-up if missing (else apply the DDL by migration). */
    private boolean initializeSchema = false;

    /** How often expired records are deleted; zero disables purging. */
    private Duration purgeInterval = Duration.ofMinutes(10);

    /** Timeout of each store statement. */
    private Duration queryTimeout = Duration.ofSeconds(5);

    public String getTableName() {
      return tableName;
    }

    public void setTableName(String tableName) {
      this.tableName = tableName;
    }

    public boolean isInitializeSchema() {
      return initializeSchema;
    }

    public void setInitializeSchema(boolean initializeSchema) {
      this.initializeSchema = initializeSchema;
    }

    public Duration getPurgeInterval() {
      return purgeInterval;
    }

    public void setPurgeInterval(Duration purgeInterval) {
      this.purgeInterval = purgeInterval;
    }

    public Duration getQueryTimeout() {
      return queryTimeout;
    }

    public void setQueryTimeout(Duration queryTimeout) {
      this.queryTimeout = queryTimeout;
    }
  }

  public Jdbc getJdbc() {
    return jdbc;
  }

  public Client getClient() {
    return client;
  }

  public JsonFingerprint getJsonFingerprint() {
    return jsonFingerprint;
  }

  public void setJsonFingerprint(JsonFingerprint jsonFingerprint) {
    this.jsonFingerprint = jsonFingerprint;
  }

  /** How JSON request bodies are fingerprinted. */
  public enum JsonFingerprint {
    /** Canonical JSON: insignificant whitespace and object member order are ignored. */
    CANONICAL,
    /** The body bytes as sent. */
    RAW
  }

  /** Where records live. */
  public enum StoreType {
    /** The JDBC store when the application has a {@code DataSource}, else in-memory. */
    AUTO,
    /** The JDBC store; start-up fails without a {@code DataSource}. */
    JDBC,
    /** An in-memory store: deduplicates within this instance only. */
    MEMORY,
    /**
     * The Redis store over the application's Lettuce client ({@code
     * RedisIdempotencyAutoConfiguration}, settings under {@code reliability.idempotency.redis.*});
     * start-up fails without one.
     */
    REDIS
  }

  /** Behaviour while the store cannot be reached. */
  public enum StoreFailureMode {
    /** Answer 503 with {@code Retry-After}; the endpoint does not run. */
    FAIL_CLOSED,
    /** Run the endpoint without idempotency protection and log a warning. */
    FAIL_OPEN
  }

  @Override
  public boolean supports(Class<?> clazz) {
    return IdempotencyProperties.class.isAssignableFrom(clazz);
  }

  @Override
  public void validate(Object target, Errors errors) {
    IdempotencyProperties p = (IdempotencyProperties) target;
    if (p.headerName == null || !p.headerName.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
      errors.rejectValue("headerName", "invalid", "must be a valid HTTP header name");
    }
    if (p.maxKeyLength < 1 || p.maxKeyLength > 8192) {
      errors.rejectValue("maxKeyLength", "range", "must be between 1 and 8192");
    }
    positive(errors, "retention", p.retention);
    positive(errors, "leaseDuration", p.leaseDuration);
    positive(errors, "retryAfter", p.retryAfter);
    if (p.waitTimeout == null || p.waitTimeout.isNegative()) {
      errors.rejectValue("waitTimeout", "range", "must be zero or positive");
    }
    if (p.maxBodySize == null || p.maxBodySize.toBytes() <= 0) {
      errors.rejectValue("maxBodySize", "range", "must be positive");
    }
    if (p.jdbc.tableName == null || !p.jdbc.tableName.matches("[A-Za-z_][A-Za-z0-9_]{0,47}")) {
      errors.rejectValue(
          "jdbc.tableName",
          "invalid",
          "must be an unquoted SQL identifier of at most 48 letters, digits and underscores");
    }
    if (p.jdbc.purgeInterval == null || p.jdbc.purgeInterval.isNegative()) {
      errors.rejectValue("jdbc.purgeInterval", "range", "must be zero (disabled) or positive");
    }
    positive(errors, "jdbc.queryTimeout", p.jdbc.queryTimeout);
    if (p.storeCallTimeout == null || p.storeCallTimeout.isNegative()) {
      errors.rejectValue("storeCallTimeout", "range", "must be zero (no bound) or positive");
    }
    if (p.maxStoredResponseSize == null || p.maxStoredResponseSize.toBytes() < 0) {
      errors.rejectValue("maxStoredResponseSize", "range", "must be zero or positive");
    }
    if (p.client.maxAttempts < 1 || p.client.maxAttempts > 100) {
      errors.rejectValue("client.maxAttempts", "range", "must be between 1 and 100");
    }
    if (p.client.wait == null || p.client.wait.isNegative()) {
      errors.rejectValue("client.wait", "range", "must be zero or positive");
    }
    if (p.replayHeaders != null) {
      for (String h : p.replayHeaders) {
        if (h != null && SENSITIVE_HEADERS.contains(h.toLowerCase(Locale.ROOT))) {
          errors.rejectValue(
              "replayHeaders",
              "sensitive",
              "must not contain the sensitive header '" + h + "' (it is never stored)");
        }
      }
    }
  }

  private static void positive(Errors errors, String field, Duration value) {
    if (value == null || value.isZero() || value.isNegative()) {
      errors.rejectValue(field, "range", "must be positive");
    }
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Duration getStoreCallTimeout() {
    return storeCallTimeout;
  }

  public void setStoreCallTimeout(Duration storeCallTimeout) {
    this.storeCallTimeout = storeCallTimeout;
  }

  public DataSize getMaxStoredResponseSize() {
    return maxStoredResponseSize;
  }

  public void setMaxStoredResponseSize(DataSize maxStoredResponseSize) {
    this.maxStoredResponseSize = maxStoredResponseSize;
  }

  public boolean isTransactional() {
    return transactional;
  }

  public void setTransactional(boolean transactional) {
    this.transactional = transactional;
  }

  public String getHeaderName() {
    return headerName;
  }

  public void setHeaderName(String headerName) {
    this.headerName = headerName;
  }

  public int getMaxKeyLength() {
    return maxKeyLength;
  }

  public void setMaxKeyLength(int maxKeyLength) {
    this.maxKeyLength = maxKeyLength;
  }

  public Duration getRetention() {
    return retention;
  }

  public void setRetention(Duration retention) {
    this.retention = retention;
  }

  public Duration getLeaseDuration() {
    return leaseDuration;
  }

  public void setLeaseDuration(Duration leaseDuration) {
    this.leaseDuration = leaseDuration;
  }

  public Duration getWaitTimeout() {
    return waitTimeout;
  }

  public void setWaitTimeout(Duration waitTimeout) {
    this.waitTimeout = waitTimeout;
  }

  public Duration getRetryAfter() {
    return retryAfter;
  }

  public void setRetryAfter(Duration retryAfter) {
    this.retryAfter = retryAfter;
  }

  public DataSize getMaxBodySize() {
    return maxBodySize;
  }

  public void setMaxBodySize(DataSize maxBodySize) {
    this.maxBodySize = maxBodySize;
  }

  public List<String> getReplayHeaders() {
    return replayHeaders;
  }

  public void setReplayHeaders(List<String> replayHeaders) {
    this.replayHeaders = replayHeaders;
  }

  public StoreType getStore() {
    return store;
  }

  public void setStore(StoreType store) {
    this.store = store;
  }

  public StoreFailureMode getStoreFailureMode() {
    return storeFailureMode;
  }

  public void setStoreFailureMode(StoreFailureMode storeFailureMode) {
    this.storeFailureMode = storeFailureMode;
  }

  public boolean isScopeByPrincipal() {
    return scopeByPrincipal;
  }

  public void setScopeByPrincipal(boolean scopeByPrincipal) {
    this.scopeByPrincipal = scopeByPrincipal;
  }
}
