package io.github.reliability4j.spring.routing;

import io.github.reliability4j.core.routing.ReadPreference;
import io.github.reliability4j.core.routing.RoutingPolicy;
import io.github.reliability4j.spring.internal.PropertyChecks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.BindingResult;
import org.springframework.validation.Errors;
import org.springframework.validation.FieldError;
import org.springframework.validation.Validator;

/**
 * Replica routing settings, bound from {@code reliability.routing.*}. Routing is active when at
 * least one replica is configured ({@code replicas[i].url} or {@code replica-beans}).
 */
@ConfigurationProperties(prefix = "reliability.routing")
public class RoutingProperties implements Validator {

  /** The core routing policy's defaults, which these properties start from. */
  private static final RoutingPolicy CORE_DEFAULTS = RoutingPolicy.ofDefaults();

  /** Whether the application's DataSource is wrapped when replicas are configured. */
  private boolean enabled = true;

  /** Name of the DataSource bean to wrap (the primary). */
  private String dataSourceBean = "dataSource";

  /** Replicas reached by JDBC URL; a pool is created for each (same pool type as Boot's). */
  private List<Replica> replicas = new ArrayList<>();

  /** Names of existing DataSource beans that are replicas. */
  private List<String> replicaBeans = new ArrayList<>();

  /** Consistency of reads that declare none: strong, read-your-writes or any. */
  private Consistency defaultConsistency = Consistency.READ_YOUR_WRITES;

  /** Where reads that declare no preference go. */
  private ReadPreference defaultReadPreference = ReadPreference.REPLICA_PREFERRED;

  /** Longest wait for a replica to catch up with a session's writes before reading the primary. */
  private Duration maxCausalWait = CORE_DEFAULTS.maxCausalWait();

  /** Replicas lagging more than this are taken out of rotation. */
  private Duration maxReplicaLag = CORE_DEFAULTS.maxReplicaLag();

  /** How often replica lag is sampled. */
  private Duration sampleInterval = CORE_DEFAULTS.sampleInterval();

  /**
   * Secret that signs consistency tokens (at least 32 characters); must be the same on every
   * instance so a token issued by one is honoured by another. When unset, a random per-process key
   * is used and tokens only work on the instance that issued them (a WARN says so).
   */
  private String tokenSecret;

  /** Propagation of the consistency session across HTTP requests. */
  private final Session session = new Session();

  /** Read consistency choices for {@code default-consistency}. */
  public enum Consistency {
    STRONG,
    READ_YOUR_WRITES,
    ANY
  }

  /** A replica reached by URL. */
  public static class Replica {
    /** Node name used in logs, metrics and health (default replica-N). */
    private String name;

    /** JDBC URL of the replica. */
    private String url;

    /** User name (default: the primary's). */
    private String username;

    /** Password (default: the primary's). */
    private String password;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getUsername() {
      return username;
    }

    public void setUsername(String username) {
      this.username = username;
    }

    public String getPassword() {
      return password;
    }

    public void setPassword(String password) {
      this.password = password;
    }
  }

  /** How a request's consistency session travels between requests. */
  public static class Session {
    /** Whether each HTTP request binds a session imported from its token and exports it back. */
    private boolean enabled = true;

    /** Request and response header carrying the signed consistency token. */
    private String headerName = "Reliability-Consistency";

    /** Cookie carrying the token too (opt-in; for browsers). */
    private final Cookie cookie = new Cookie();

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getHeaderName() {
      return headerName;
    }

    public void setHeaderName(String headerName) {
      this.headerName = headerName;
    }

    public Cookie getCookie() {
      return cookie;
    }
  }

  /** Consistency cookie settings. */
  public static class Cookie {
    /** Whether the token is also sent and read as a cookie. */
    private boolean enabled = false;

    /** Cookie name. */
    private String name = "RELIABILITY_CONSISTENCY";

    /** Cookie lifetime; a write's token is only useful until replicas caught up. */
    private Duration maxAge = Duration.ofMinutes(5);

    /** Whether the cookie is marked Secure (HTTPS only). */
    private boolean secure = true;

    /** SameSite attribute. */
    private String sameSite = "Lax";

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public Duration getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(Duration maxAge) {
      this.maxAge = maxAge;
    }

    public boolean isSecure() {
      return secure;
    }

    public void setSecure(boolean secure) {
      this.secure = secure;
    }

    public String getSameSite() {
      return sameSite;
    }

    public void setSameSite(String sameSite) {
      this.sameSite = sameSite;
    }
  }

  @Override
  public boolean supports(Class<?> clazz) {
    return RoutingProperties.class.isAssignableFrom(clazz);
  }

  @Override
  public void validate(Object target, Errors errors) {
    RoutingProperties p = (RoutingProperties) target;
    for (int i = 0; i < p.replicas.size(); i++) {
      Replica r = p.replicas.get(i);
      if (r.url == null || !r.url.startsWith("jdbc:")) {
        errors.rejectValue("replicas[" + i + "].url", "invalid", "must be a JDBC URL (jdbc:...)");
      }
    }
    if (p.tokenSecret != null && p.tokenSecret.length() < 32) {
      // Never errors.rejectValue here: it records the field's value, which Spring Boot's failure
      // report and BindValidationException's message print. Only the length is shown.
      String message =
          "must be at least 32 characters (it signs consistency tokens), but has "
              + p.tokenSecret.length();
      if (errors instanceof BindingResult result) {
        result.addError(
            new FieldError(
                errors.getObjectName(),
                "tokenSecret",
                "<" + p.tokenSecret.length() + " characters, not shown>",
                false,
                result.resolveMessageCodes("short", "tokenSecret"),
                null,
                message));
      } else {
        errors.reject("short", "reliability.routing.token-secret " + message);
      }
    }
    // Owned by the core routing policy: the same rules and messages as RoutingPolicy.
    RoutingPolicy.Builder core = RoutingPolicy.custom();
    PropertyChecks.check(errors, "maxCausalWait", () -> core.maxCausalWait(p.maxCausalWait));
    PropertyChecks.check(errors, "maxReplicaLag", () -> core.maxReplicaLag(p.maxReplicaLag));
    if (PropertyChecks.check(
        errors, "sampleInterval", () -> core.sampleInterval(p.sampleInterval))) {
      PropertyChecks.check(errors, "sampleInterval", core::build);
    }
    if (p.session.headerName == null
        || !p.session.headerName.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
      errors.rejectValue("session.headerName", "invalid", "must be a valid HTTP header name");
    }
    if (p.session.cookie.name == null
        || !p.session.cookie.name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
      errors.rejectValue("session.cookie.name", "invalid", "must be a valid cookie name");
    }
    positive(errors, "session.cookie.maxAge", p.session.cookie.maxAge, false);
    if (p.session.cookie.sameSite == null
        || !List.of("strict", "lax", "none").contains(p.session.cookie.sameSite.toLowerCase())) {
      errors.rejectValue("session.cookie.sameSite", "invalid", "must be Strict, Lax or None");
    }
  }

  private static void positive(Errors errors, String field, Duration d, boolean zeroAllowed) {
    if (d == null || d.isNegative() || (!zeroAllowed && d.isZero())) {
      errors.rejectValue(field, "range", zeroAllowed ? "must not be negative" : "must be positive");
    }
  }

  /** Whether any replica is configured. */
  public boolean hasReplicas() {
    return !replicas.isEmpty() || !replicaBeans.isEmpty();
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getDataSourceBean() {
    return dataSourceBean;
  }

  public void setDataSourceBean(String dataSourceBean) {
    this.dataSourceBean = dataSourceBean;
  }

  public List<Replica> getReplicas() {
    return replicas;
  }

  public void setReplicas(List<Replica> replicas) {
    this.replicas = replicas;
  }

  public List<String> getReplicaBeans() {
    return replicaBeans;
  }

  public void setReplicaBeans(List<String> replicaBeans) {
    this.replicaBeans = replicaBeans;
  }

  public Consistency getDefaultConsistency() {
    return defaultConsistency;
  }

  public void setDefaultConsistency(Consistency defaultConsistency) {
    this.defaultConsistency = defaultConsistency;
  }

  public ReadPreference getDefaultReadPreference() {
    return defaultReadPreference;
  }

  public void setDefaultReadPreference(ReadPreference defaultReadPreference) {
    this.defaultReadPreference = defaultReadPreference;
  }

  public Duration getMaxCausalWait() {
    return maxCausalWait;
  }

  public void setMaxCausalWait(Duration maxCausalWait) {
    this.maxCausalWait = maxCausalWait;
  }

  public Duration getMaxReplicaLag() {
    return maxReplicaLag;
  }

  public void setMaxReplicaLag(Duration maxReplicaLag) {
    this.maxReplicaLag = maxReplicaLag;
  }

  public Duration getSampleInterval() {
    return sampleInterval;
  }

  public void setSampleInterval(Duration sampleInterval) {
    this.sampleInterval = sampleInterval;
  }

  public String getTokenSecret() {
    return tokenSecret;
  }

  public void setTokenSecret(String tokenSecret) {
    this.tokenSecret = tokenSecret;
  }

  public Session getSession() {
    return session;
  }
}
