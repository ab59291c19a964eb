package io.github.reliability4j.examples.service;

import io.github.reliability4j.core.idempotency.IdempotencyConflictException;
import io.github.reliability4j.core.idempotency.IdempotencyKeyMismatchException;
import io.github.reliability4j.core.idempotency.IdempotencyStoreUnavailableException;
import io.github.reliability4j.core.idempotency.InvalidIdempotencyKeyException;
import io.github.reliability4j.spring.idempotency.IdempotencyProblem;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error of the demo's endpoints is an RFC 9457 {@code application/problem+json} body and
 * never a stack trace: malformed JSON and unknown paths (Spring MVC's own exceptions, via {@link
 * ResponseEntityExceptionHandler}), invalid fields (400), unknown profiles (404), trouble that
 * cannot be injected (409), an unavailable database (503 with {@code Retry-After}) and anything
 * unexpected (500, details only in the log).
 */
@RestControllerAdvice
class ProblemResponses extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemResponses.class);

  @ExceptionHandler(InvalidInputException.class)
  ResponseEntity<ProblemDetail> invalidInput(InvalidInputException e) {
    ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Invalid request", e.getMessage());
    problem.setProperty("field", e.getField());
    return respond(problem, null);
  }

  @ExceptionHandler(NotFoundException.class)
  ResponseEntity<ProblemDetail> notFound(NotFoundException e) {
    ResponseEntity<ProblemDetail> response =
        respond(problem(HttpStatus.NOT_FOUND, "Not found", e.getMessage()), null);
    return e.getServedBy() == null
        ? response
        : ResponseEntity.status(response.getStatusCode())
            .headers(response.getHeaders())
            .header(ProfilesController.SERVED_BY, e.getServedBy())
            .body(response.getBody());
  }

  @ExceptionHandler(TroubleUnavailableException.class)
  ResponseEntity<ProblemDetail> troubleUnavailable(TroubleUnavailableException e) {
    return respond(problem(HttpStatus.CONFLICT, "Trouble not available", e.getMessage()), null);
  }

  @ExceptionHandler(IdempotencyKeyMismatchException.class)
  ResponseEntity<ProblemDetail> keyReused(IdempotencyKeyMismatchException e) {
    return respond(
        problem(
            IdempotencyProblem.KEY_REUSED,
            "this key was already used for a different request; use a new key for a new request"),
        null);
  }

  @ExceptionHandler(IdempotencyConflictException.class)
  ResponseEntity<ProblemDetail> keyInFlight(IdempotencyConflictException e) {
    return respond(
        problem(
            IdempotencyProblem.KEY_IN_PROGRESS,
            "a request with this key is still being processed; retry later"),
        "1");
  }

  @ExceptionHandler(IdempotencyStoreUnavailableException.class)
  ResponseEntity<ProblemDetail> storeUnavailable(IdempotencyStoreUnavailableException e) {
    log.warn("Idempotency store unavailable: {}", e.toString());
    return respond(
        problem(IdempotencyProblem.STORE_UNAVAILABLE, "the request was not executed; retry later"),
        "1");
  }

  @ExceptionHandler(InvalidIdempotencyKeyException.class)
  ResponseEntity<ProblemDetail> invalidKey(InvalidIdempotencyKeyException e) {
    return respond(problem(IdempotencyProblem.KEY_MALFORMED, e.getMessage()), null);
  }

  @ExceptionHandler(DataAccessException.class)
  ResponseEntity<ProblemDetail> database(DataAccessException e) {
    if (e instanceof TransientDataAccessException
        || e instanceof org.springframework.jdbc.CannotGetJdbcConnectionException) {
      log.warn("Database unavailable: {}", e.getMostSpecificCause().toString());
      return respond(
          problem(
              HttpStatus.SERVICE_UNAVAILABLE,
              "Database unavailable",
              "the database did not answer in time; retry later"),
          "1");
    }
    log.error("Database error", e);
    return respond(
        problem(HttpStatus.INTERNAL_SERVER_ERROR, "Internal error", "a database error occurred"),
        null);
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<ProblemDetail> unexpected(Exception e) {
    log.error("Unexpected error", e);
    return respond(
        problem(HttpStatus.INTERNAL_SERVER_ERROR, "Internal error", "an unexpected error occurred"),
        null);
  }

  /**
   * The engine's refusals on the hand-written transactional endpoint answer exactly like the
   * {@code @Idempotent} filter: the library's typed problem ({@link IdempotencyProblem}).
   */
  private static ProblemDetail problem(IdempotencyProblem type, String detail) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(type.status()), detail);
    problem.setTitle(type.title());
    problem.setType(type.type());
    return problem;
  }

  private static ProblemDetail problem(HttpStatus status, String title, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setTitle(title);
    problem.setType(URI.create("about:blank"));
    return problem;
  }

  private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, String retryAfter) {
    HttpHeaders headers = new HttpHeaders();
    headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    if (retryAfter != null) {
      headers.set(HttpHeaders.RETRY_AFTER, retryAfter);
    }
    return ResponseEntity.status(problem.getStatus()).headers(headers).body(problem);
  }
}
