package io.github.reliability4j.core.routing;

/** Role of a node in a replicated cluster. */
public enum NodeRole {
  PRIMARY,
  REPLICA
}
