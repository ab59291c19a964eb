package io.github.reliability4j.examples.service;

/** A resource that does not exist; answered with 404 problem+json. */
final class NotFoundException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  NotFoundException(String message) {
    super(message);
  }
}
