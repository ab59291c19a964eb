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
 * <p>HTTP mapping: pass and warn → 200, fail → 503. Immutable and thread-safe.
 */
public final class HealthJson {
  /** The media type of the draft. */
  public static final String MEDIA_TYPE = "application/health+json";

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

  /** Renders {@code report} with status code, content type and cache header. */
  public HealthResponse respond(HealthReport report, RedactionLevel level) {
    return new HealthResponse(
        report.httpStatus(),
        MEDIA_TYPE,
        cacheMaxAge == null ? null : "max-age=" + cacheMaxAge.toSeconds(),
        write(report, level));
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
     * Sets the {@code Cache-Control: max-age} sent with responses (whole seconds).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder cacheMaxAge(Duration cacheMaxAge) {
      this.cacheMaxAge = Checks.positive("cacheMaxAge", cacheMaxAge);
      return this;
    }

    public HealthJson build() {
      return new HealthJson(this);
    }
  }
}
