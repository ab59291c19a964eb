package io.github.reliability4j.examples.service;

/** A request field that is missing or malformed; answered with 400 problem+json. */
final class InvalidInputException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String field;

  InvalidInputException(String field, String message) {
    super(field + " " + message);
    this.field = field;
  }

  String getField() {
    return field;
  }
}
