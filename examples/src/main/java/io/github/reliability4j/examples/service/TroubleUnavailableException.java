package io.github.reliability4j.examples.service;

/** Trouble that cannot be injected in this setup (e.g. no embedded replica); answered with 409. */
final class TroubleUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  TroubleUnavailableException(String message) {
    super(message);
  }
}
