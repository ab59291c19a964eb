package io.github.reliability4j.spring.internal;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;

/**
 * What a GraalVM native image needs beyond what Spring's AOT processing infers from the bean
 * definitions: the idempotency table's DDL resources (read with {@code getResourceAsStream} when
 * {@code reliability.idempotency.jdbc.initialize-schema=true}, and named in the missing-table
 * error), the failure analyzers Spring Boot instantiates from {@code META-INF/spring.factories},
 * and the annotations read from application methods at run time. Registered in {@code
 * META-INF/spring/aot.factories}; {@code ReliabilityRuntimeHintsTest} proves every resource and
 * type is covered. Not API.
 */
public final class ReliabilityRuntimeHints implements RuntimeHintsRegistrar {

  /** The DDL resources of every dialect of the JDBC idempotency store. */
  public static final String SCHEMA_PATTERN =
      "io/github/reliability4j/jdbc/idempotency/schema-*.sql";

  /**
   * The row-format migration scripts shipped next to the DDL (read by users, kept in the image).
   */
  public static final String MIGRATION_PATTERN =
      "io/github/reliability4j/jdbc/idempotency/migrate-*.sql";

  static final String[] FAILURE_ANALYZERS = {
    "io.github.reliability4j.spring.internal.ReliabilityPropertyFailureAnalyzer",
    "io.github.reliability4j.spring.internal.ReliabilityStartFailureAnalyzer"
  };

  static final String[] ANNOTATIONS = {
    "io.github.reliability4j.spring.idempotency.Idempotent",
    "io.github.reliability4j.spring.routing.ReadConsistency",
    "io.github.reliability4j.spring.routing.ReadFrom",
    "io.github.reliability4j.spring.messaging.IdempotentListener"
  };

  @Override
  public void registerHints(RuntimeHints hints, ClassLoader classLoader) {
    hints.resources().registerPattern(SCHEMA_PATTERN);
    hints.resources().registerPattern(MIGRATION_PATTERN);
    for (String analyzer : FAILURE_ANALYZERS) {
      hints
          .reflection()
          .registerType(TypeReference.of(analyzer), MemberCategory.INVOKE_DECLARED_CONSTRUCTORS);
    }
    for (String annotation : ANNOTATIONS) {
      hints
          .reflection()
          .registerType(TypeReference.of(annotation), MemberCategory.INVOKE_PUBLIC_METHODS);
    }
  }
}
