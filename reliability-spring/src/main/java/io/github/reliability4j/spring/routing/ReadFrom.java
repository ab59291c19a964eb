package io.github.reliability4j.spring.routing;

import io.github.reliability4j.core.routing.ReadPreference;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares where reads of a Spring bean method (or of every method of a class) go; see {@link
 * ReadPreference}. Same scoping rules as {@link ReadConsistency}. In auto-commit mode (no
 * transaction) an explicit preference also routes plain reads; inside a read-write transaction
 * everything stays on the primary.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface ReadFrom {

  ReadPreference value();
}
