package io.github.reliability4j.examples.service;

/**
 * A resource that does not exist; answered with 404 problem+json. {@link #getServedBy()} names the
 * database node that was asked, because "not found" on a lagging replica may just mean "not yet".
 */
final class NotFoundException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String servedBy;

  NotFoundException(String message, String servedBy) {
    super(message);
    this.servedBy = servedBy;
  }

  String getServedBy() {
    return servedBy;
  }
}
