package io.github.reliability4j.spring.routing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares the read consistency of a Spring bean method (or of every method of a class): the routed
 * DataSource honours it for every connection first used while the method runs on the calling
 * thread. A method-level annotation overrides the class-level one; nested calls inherit unset
 * fields from outer ones. Writes always go to the primary.
 *
 * <p>Applied by an infrastructure advisor, so only calls through the Spring proxy count (not
 * self-invocation), as with {@code @Transactional}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface ReadConsistency {

  /** The consistency level. */
  Level value();

  /**
   * For {@link Level#BOUNDED_STALENESS}: the maximum staleness as a Spring duration string ({@code
   * "2s"}, {@code "PT2S"}); required there, ignored otherwise.
   */
  String maxStaleness() default "";

  /** Consistency levels. */
  enum Level {
    /** Read the primary. */
    STRONG,
    /** Read a replica only if it has applied the current session's writes. */
    READ_YOUR_WRITES,
    /** Read a replica no further behind than {@link #maxStaleness()}. */
    BOUNDED_STALENESS,
    /** Any admitted replica. */
    ANY
  }
}
