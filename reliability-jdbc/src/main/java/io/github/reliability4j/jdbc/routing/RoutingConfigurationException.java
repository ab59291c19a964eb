package io.github.reliability4j.jdbc.routing;

/** A routing configuration error found at start, naming the offending node. */
public class RoutingConfigurationException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String node;

  public RoutingConfigurationException(String node, String message, Throwable cause) {
    super(message, cause);
    this.node = node;
  }

  /** Name of the node at fault, or null if the error concerns no single node. */
  public String getNode() {
    return node;
  }
}
