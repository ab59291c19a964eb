package io.github.reliability4j.spring.internal;

import io.github.reliability4j.jdbc.idempotency.IdempotencyTableMissingException;
import io.github.reliability4j.jdbc.idempotency.UnsupportedDatabaseException;
import io.github.reliability4j.jdbc.retention.RetentionPolicyRejectedException;
import io.github.reliability4j.jdbc.routing.RoutingConfigurationException;
import io.github.reliability4j.spring.idempotency.InvalidIdempotentHandlerException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

/**
 * Turns the library exceptions that can stop an application's start into a report whose action is
 * written in Spring terms (the property to set), instead of a long stack trace: a routing
 * configuration error ({@link RoutingConfigurationException}: a replica that is not in recovery, an
 * unreachable primary, nodes of different clusters, an unsupported database), a missing idempotency
 * table, a database the JDBC store does not support, a rejected retention policy and a Redis user
 * without the permissions the store needs, and an {@code @Idempotent} handler that cannot take
 * effect ({@link InvalidIdempotentHandlerException}: a safe method, or a reactive application). The
 * description is the exception's message, which never holds a secret (passwords and the token
 * secret are not part of any message). Registered in {@code META-INF/spring.factories}; not API.
 */
public final class ReliabilityStartFailureAnalyzer implements FailureAnalyzer {

  private static final String REDIS_PERMISSION =
      "io.github.reliability4j.redis.idempotency.RedisPermissionException";

  private final Environment environment;

  /** Created by Spring Boot with the failed application's environment (may be null). */
  public ReliabilityStartFailureAnalyzer(Environment environment) {
    this.environment = environment;
  }

  @Override
  public FailureAnalysis analyze(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      FailureAnalysis analysis = analyzeOne(t);
      if (analysis != null) {
        return analysis;
      }
    }
    return null;
  }

  private FailureAnalysis analyzeOne(Throwable t) {
    if (t instanceof RoutingConfigurationException e) {
      return routing(e);
    }
    if (t instanceof IdempotencyTableMissingException e) {
      return new FailureAnalysis(
          "reliability4j's idempotency table '"
              + e.getTableName()
              + "' is missing:\n\n    "
              + e.getMessage(),
          "Create it: set reliability.idempotency.jdbc.initialize-schema=true (the store creates"
              + " the table at start), or add the DDL in classpath resource "
              + e.getSchemaResource()
              + " to your Flyway/Liquibase migrations. If the table has another name, set"
              + " reliability.idempotency.jdbc.table-name.",
          e);
    }
    if (t instanceof UnsupportedDatabaseException e) {
      return new FailureAnalysis(
          "reliability4j's JDBC idempotency store does not support the database product '"
              + e.getProductName()
              + "' (version "
              + e.getProductVersion()
              + "); supported: "
              + String.join(", ", e.getSupportedProducts()),
          "Point the store's DataSource at a supported database, or choose another store:"
              + " reliability.idempotency.store=redis (with reliability-redis and"
              + " spring-boot-starter-data-redis) or reliability.idempotency.store=memory (one"
              + " instance only).",
          e);
    }
    if (t instanceof RetentionPolicyRejectedException e) {
      return new FailureAnalysis(
          "reliability4j rejected a retention policy before touching any row:\n\n    "
              + e.getMessage(),
          "Fix the policy named '"
              + e.getPolicy()
              + "' under reliability.retention.policies[*] (its table, age-column, archive-table"
              + (e.getColumn() == null ? "" : "; column '" + e.getColumn() + "'")
              + " in table '"
              + e.getTable()
              + "'), or disable it with reliability.retention.policies[*].enabled=false.",
          e);
    }
    if (t instanceof InvalidIdempotentHandlerException e) {
      return new FailureAnalysis(
          "reliability4j refused @Idempotent on " + e.getHandler() + ":\n\n    " + e.getMessage(),
          e.getMessage().contains("reactive")
              ? "Serve "
                  + e.getHandler()
                  + " with Spring MVC, or remove @Idempotent and guard"
                  + " the call with Idempotency.execute(...); reliability.idempotency.enabled=false"
                  + " turns the check (and idempotency) off."
              : "Map "
                  + e.getHandler()
                  + " to POST, PUT, PATCH or DELETE only, or declare"
                  + " @Idempotent(allowSafeMethods = true) if replaying safe requests is intended.",
          e);
    }
    if (t.getClass().getName().equals(REDIS_PERMISSION)) {
      return new FailureAnalysis(
          "Redis refused a command reliability4j's idempotency store needs:\n\n    "
              + t.getMessage(),
          "Grant the ACL shown above to the user in spring.data.redis.username (or"
              + " spring.data.redis.url), or choose another store with"
              + " reliability.idempotency.store.",
          t);
    }
    return null;
  }

  private FailureAnalysis routing(RoutingConfigurationException e) {
    String node = e.getNode();
    String where = propertyOf(node);
    String description =
        "reliability4j's replica routing refused its configuration"
            + (node == null ? "" : " (node '" + node + "')")
            + ":\n\n    "
            + e.getMessage();
    String action =
        "Check "
            + where
            + ": replicas must be streaming standbys of the primary, and the primary the"
            + " read-write server. To start without read routing, remove"
            + " reliability.routing.replicas / reliability.routing.replica-beans or set"
            + " reliability.routing.enabled=false.";
    return new FailureAnalysis(description, action, e);
  }

  /** The property (or bean) a node's connection settings come from. */
  private String propertyOf(String node) {
    if (node == null) {
      return "spring.datasource.url and reliability.routing.replicas[*].url";
    }
    if (environment != null) {
      for (int i = 0;
          environment.containsProperty("reliability.routing.replicas[" + i + "].url");
          i++) {
        String name = environment.getProperty("reliability.routing.replicas[" + i + "].name");
        if (node.equals(name) || (name == null && node.equals("replica-" + i))) {
          return "reliability.routing.replicas[" + i + "].url (node '" + node + "')";
        }
      }
      String beans = environment.getProperty("reliability.routing.replica-beans", "");
      for (String bean : beans.split(",")) {
        if (bean.trim().equals(node)) {
          return "the DataSource bean '" + node + "' listed in reliability.routing.replica-beans";
        }
      }
    }
    if (node.equals("primary")) {
      String bean =
          environment == null
              ? "dataSource"
              : environment.getProperty("reliability.routing.data-source-bean", "dataSource");
      return "spring.datasource.url (the primary: the DataSource bean '"
          + bean
          + "' named by reliability.routing.data-source-bean)";
    }
    return "the connection settings of node '" + node + "' (reliability.routing.replicas[*])";
  }
}
