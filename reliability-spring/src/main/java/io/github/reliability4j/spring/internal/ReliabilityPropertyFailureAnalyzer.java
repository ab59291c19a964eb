package io.github.reliability4j.spring.internal;

import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns an {@link InvalidReliabilityPropertyException} anywhere in a start-up failure's cause chain
 * into a report naming the property. Registered in {@code META-INF/spring.factories}; not API.
 */
public final class ReliabilityPropertyFailureAnalyzer
    extends AbstractFailureAnalyzer<InvalidReliabilityPropertyException> {

  @Override
  protected FailureAnalysis analyze(
      Throwable rootFailure, InvalidReliabilityPropertyException cause) {
    String description =
        "Invalid reliability4j configuration:\n\n    Property: "
            + cause.getProperty()
            + "\n    Value: "
            + cause.getValue()
            + "\n    Reason: "
            + cause.getReason()
            + "\n";
    String action =
        "Update your application's configuration: set '"
            + cause.getProperty()
            + "' to a value that "
            + cause.getReason()
            + ".";
    return new FailureAnalysis(description, action, cause);
  }
}
