package io.github.reliability4j.core.health;

import io.github.reliability4j.core.health.internal.Checks;
import io.github.reliability4j.core.health.internal.JsonWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Renders a {@link HealthReport} as {@code application/health+json}
 * (draft-inadarei-api-health-check-06).
 *
 * <p>Top level: {@code status} ({@code pass}, {@code warn} or {@code fail}), then optionally {@code
 * version}, {@code releaseId}, {@code serviceId}, {@code description}, {@code output} (lifecycle
 * reason such as {@code draining}) and {@code checks}. {@code checks} is keyed {@code
 * "componentId:measurement"}; each value is an array with one entry holding {@code componentId},
 * {@code componentType}, {@code observedValue}, {@code observedUnit}, {@code status}, {@code time}
 * (ISO 8601) and {@code output}, subject to the {@link RedactionLevel}. {@code UNKNOWN} is written
 * as {@code fail} with an output that says why. {@code details} is an extension member written only
 * at {@link RedactionLevel#FULL}.
 *
 * <p>HTTP mapping: pass and warn → 200, fail → 503.
 *
 * <p>Caching ({@link HealthResponse#cacheControl()}): a 200 response carries {@code Cache-Control:
 * max-age=N, must-revalidate}, N being {@link Builder#cacheMaxAge(Duration) cacheMaxAge} in whole
 * seconds rounded down, so that frequent probes can be answered by a cache instead of becoming a
 * load source, while {@code must-revalidate} forbids a cache to serve the answer once it is stale
 * (for example while this instance is unreachable, when a stale "pass" would be a lie). A 503
 * response carries {@code no-store}: a failure must be seen to end as soon as it ends, and failing
 * probes are re-checked at their shorter failing interval anyway. Without a cache max-age, or with
 * one under a second, every response carries {@code no-store}.
 *
 * <p>Immutable and thread-safe.
 */
public final class HealthJson {
  /** The media type of the draft. */
  public static final String MEDIA_TYPE = "application/health+json";

  /** The {@code Cache-Control} value of responses that must not be cached. */
  public static final String NO_STORE = "no-store";

  private final String serviceId;
  private final String version;
  private final String releaseId;
  private final String description;
  private final Duration cacheMaxAge;

  private HealthJson(Builder b) {
    this.serviceId = b.serviceId;
    this.version = b.version;
    this.releaseId = b.releaseId;
    this.description = b.description;
    this.cacheMaxAge = b.cacheMaxAge;
  }

  public static HealthJson ofDefaults() {
    return custom().build();
  }

  public static Builder custom() {
    return new Builder();
  }

  /**
   * Renders {@code report} with status code, content type and {@code Cache-Control} header (see the
   * class documentation for the caching rules).
   */
  public HealthResponse respond(HealthReport report, RedactionLevel level) {
    int status = report.httpStatus();
    return new HealthResponse(status, MEDIA_TYPE, cacheControl(status), write(report, level));
  }

  private String cacheControl(int statusCode) {
    long seconds = cacheMaxAge == null ? 0 : cacheMaxAge.toSeconds();
    if (statusCode != 200 || seconds <= 0) {
      return NO_STORE;
    }
    return "max-age=" + seconds + ", must-revalidate";
  }

  /** Renders {@code report} as a health+json document. */
  public String write(HealthReport report, RedactionLevel level) {
    Objects.requireNonNull(report, "report");
    Objects.requireNonNull(level, "level");
    JsonWriter json = new JsonWriter().beginObject();
    json.field("status", report.status().wireName());
    if (level != RedactionLevel.STATUS_ONLY) {
      json.field("version", version)
          .field("releaseId", releaseId)
          .field("serviceId", serviceId)
          .field("description", description)
          .field("output", report.output());
      Map<String, List<ComponentHealth>> checks = new LinkedHashMap<>();
      for (ComponentHealth c : report.components()) {
        checks.computeIfAbsent(c.key(), k -> new ArrayList<>()).add(c);
      }
      if (!checks.isEmpty()) {
        json.name("checks").beginObject();
        for (Map.Entry<String, List<ComponentHealth>> e : checks.entrySet()) {
          json.name(e.getKey()).beginArray();
          for (ComponentHealth c : e.getValue()) {
            writeEntry(json, c, level);
          }
          json.endArray();
        }
        json.endObject();
      }
    }
    return json.endObject().toString();
  }

  private static void writeEntry(JsonWriter json, ComponentHealth c, RedactionLevel level) {
    ProbeResult r = c.result();
    json.beginObject().field("componentId", c.name()).field("componentType", c.componentType());
    if (level == RedactionLevel.FULL) {
      json.field("observedValue", r.observedValue()).field("observedUnit", r.observedUnit());
    }
    json.field("status", c.status().wireName());
    if (r.time() != null) {
      json.field("time", r.time().toString());
    }
    json.field("output", level == RedactionLevel.FULL ? fullOutput(c) : redactedOutput(c));
    if (level == RedactionLevel.FULL && !r.details().isEmpty()) {
      json.name("details").value(r.details());
    }
    json.endObject();
  }

  private static String fullOutput(ComponentHealth c) {
    String out = c.result().output();
    if (c.status() == HealthStatus.UNKNOWN && (out == null || out.isEmpty())) {
      return "unknown";
    }
    return out;
  }

  private static String redactedOutput(ComponentHealth c) {
    switch (c.result().outcome()) {
      case TIMED_OUT:
        return "timed out";
      case THREW:
        return "probe threw an exception";
      case REJECTED:
        return "evaluation rejected";
      case PENDING:
        return "not evaluated yet";
      case STALE:
        return "stale result";
      default:
        return c.status() == HealthStatus.UNKNOWN ? "unknown" : null;
    }
  }

  /** Builds a {@link HealthJson}. Not thread-safe. */
  public static final class Builder {
    private String serviceId;
    private String version;
    private String releaseId;
    private String description;
    private Duration cacheMaxAge;

    private Builder() {}

    public Builder serviceId(String serviceId) {
      this.serviceId = serviceId;
      return this;
    }

    public Builder version(String version) {
      this.version = version;
      return this;
    }

    public Builder releaseId(String releaseId) {
      this.releaseId = releaseId;
      return this;
    }

    public Builder description(String description) {
      this.description = description;
      return this;
    }

    /**
     * Sets the freshness lifetime sent as {@code Cache-Control: max-age} with 200 responses, in
     * whole seconds rounded down. Zero, or less than a second, means {@code no-store}, as does
     * leaving it unset. 503 responses always carry {@code no-store}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder cacheMaxAge(Duration cacheMaxAge) {
      this.cacheMaxAge = Checks.notNegative("cacheMaxAge", cacheMaxAge);
      return this;
    }

    public HealthJson build() {
      return new HealthJson(this);
    }
  }
}
