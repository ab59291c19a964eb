package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.Idempotency;
import io.github.reliability4j.core.idempotency.IdempotencyConfig;
import io.github.reliability4j.core.idempotency.IdempotencyKey;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStoreConfig;
import io.github.reliability4j.spring.internal.PropertyChecks;
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
 * value and its origin. Settings that core or JDBC configuration owns take their defaults from
 * those classes' constants and are validated by handing them to the owning builder ({@link
 * IdempotencyConfig}, {@link Idempotency.Builder}, {@link JdbcIdempotencyStoreConfig}), so a
 * property accepts exactly what the builder accepts and fails with the builder's message.
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

  /**
   * Longest accepted key, in characters (1 to 1024, the core's {@link
   * IdempotencyKey#ABSOLUTE_MAX_LENGTH}); longer keys are rejected with 400.
   */
  private int maxKeyLength = IdempotencyConfig.DEFAULT_MAX_KEY_LENGTH;

  /** How long a completed response is kept for replay. */
  private Duration retention = IdempotencyConfig.DEFAULT_RETENTION;

  /**
   * How long an in-flight record stays locked before a retry may take it over (the first worker is
   * presumed dead). Must exceed the slowest expected execution of an idempotent endpoint.
   */
  private Duration leaseDuration = IdempotencyConfig.DEFAULT_LEASE_DURATION;

  /**
   * Default wait for endpoints declaring {@code concurrency = WAIT}; zero makes them answer 409 at
   * once, like {@code REJECT}.
   */
  private Duration waitTimeout = IdempotencyConfig.DEFAULT_WAIT_TIMEOUT;

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
   * the bound (the store's own timeouts, e.g. jdbc.query-timeout, still apply). A store that can
   * bound its own calls to it is called on the request thread (Redis; JDBC on a HikariCP pool whose
   * connection-timeout + max(1 s, validation-timeout) is below it); any other on the engine's store
   * executor, abandoned at the bound.
   */
  private Duration storeCallTimeout = Idempotency.DEFAULT_STORE_CALL_TIMEOUT;

  /**
   * Largest response (status + stored headers + body) that is stored; larger ones run, are
   * returned, and release the key. Defaults to the JDBC store's body limit (1 MiB), larger than the
   * core engine's own default, because HTTP responses are larger than most messages.
   */
  private DataSize maxStoredResponseSize =
      DataSize.ofBytes(JdbcIdempotencyStoreConfig.DEFAULT_MAX_BODY_BYTES);

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
    /**
     * Table holding idempotency records: a plain SQL identifier, optionally schema-qualified
     * ({@code schema.table}), each part at most 48 characters.
     */
    private String tableName = JdbcIdempotencyStoreConfig.DEFAULT_TABLE_NAME;

    /**
     * Bean name of the DataSource holding the records, for applications with several DataSources;
     * unset, the application's single (or {@code @Primary}) DataSource is used.
     */
    private String dataSource;

    /** Whether the table is created at start-up if missing (else apply the DDL by migration). */
    private boolean initializeSchema = false;

    /** How often expired records are deleted; zero disables purging. */
    private Duration purgeInterval = Duration.ofMinutes(10);

    /** Timeout of each store statement, rounded up to whole seconds; zero disables it. */
    private Duration queryTimeout = JdbcIdempotencyStoreConfig.DEFAULT_QUERY_TIMEOUT;

    public String getDataSource() {
      return dataSource;
    }

    public void setDataSource(String dataSource) {
      this.dataSource = dataSource;
    }

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
    // Owned by the core engine's config: the same rule and message as IdempotencyConfig.
    IdempotencyConfig.Builder core = IdempotencyConfig.custom();
    PropertyChecks.check(errors, "maxKeyLength", () -> core.maxKeyLength(p.maxKeyLength));
    PropertyChecks.check(errors, "retention", () -> core.retention(p.retention));
    boolean lease =
        PropertyChecks.check(errors, "leaseDuration", () -> core.leaseDuration(p.leaseDuration));
    if (lease) {
      PropertyChecks.check(errors, "leaseDuration", core::build);
    }
    // Zero is this layer's "answer at once" (REJECT); any other value is the core's waitTimeout.
    if (p.waitTimeout == null || !p.waitTimeout.isZero()) {
      PropertyChecks.check(errors, "waitTimeout", () -> core.waitTimeout(p.waitTimeout));
    }
    PropertyChecks.check(
        errors,
        "maxStoredResponseSize",
        () -> core.maxStoredOutcomeBytes(p.maxStoredResponseSize.toBytes()));
    // Zero is this layer's "no bound" (withoutStoreCallTimeout()).
    if (p.storeCallTimeout == null || !p.storeCallTimeout.isZero()) {
      PropertyChecks.check(
          errors,
          "storeCallTimeout",
          () ->
              Idempotency.builder(InMemoryIdempotencyStore.builder().build())
                  .storeCallTimeout(p.storeCallTimeout));
    }
    // Owned by the JDBC store's config.
    JdbcIdempotencyStoreConfig.Builder jdbcConfig = JdbcIdempotencyStoreConfig.custom();
    PropertyChecks.check(errors, "jdbc.tableName", () -> jdbcConfig.tableName(p.jdbc.tableName));
    PropertyChecks.check(
        errors, "jdbc.queryTimeout", () -> jdbcConfig.queryTimeout(p.jdbc.queryTimeout));
    if (p.jdbc.dataSource != null && p.jdbc.dataSource.isBlank()) {
      errors.rejectValue("jdbc.dataSource", "invalid", "must be a bean name or unset");
    }
    // Owned by this module.
    positive(errors, "retryAfter", p.retryAfter);
    if (p.maxBodySize == null || p.maxBodySize.toBytes() <= 0) {
      errors.rejectValue("maxBodySize", "range", "must be positive");
    }
    if (p.jdbc.purgeInterval == null || p.jdbc.purgeInterval.isNegative()) {
      errors.rejectValue("jdbc.purgeInterval", "range", "must be zero (disabled) or positive");
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
