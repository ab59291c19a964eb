package io.github.reliability4j.spring.idempotency;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.util.WebUtils;

/**
 * Whether Spring MVC rejected a request before invoking the handler method: the request failed
 * validation, did not execute, and its response is not stored (the key is released, so the client
 * can correct the request and retry with the same key).
 *
 * <p>"Validation" is decided by the exception Spring MVC raised while resolving and validating the
 * handler's arguments, whatever status an exception resolver or {@code @ExceptionHandler} turned it
 * into (usually 400):
 *
 * <ul>
 *   <li>{@code HttpMessageNotReadableException}: malformed or unreadable body (bad JSON);
 *   <li>{@code MethodArgumentNotValidException} and {@code BindException}: {@code @Valid} /
 *       {@code @Validated} body or model attribute rejected;
 *   <li>{@code HandlerMethodValidationException}: method parameter constraints rejected by Spring
 *       MVC's built-in method validation;
 *   <li>{@code ServletRequestBindingException} (missing header, parameter, cookie, path variable)
 *       and {@code MissingServletRequestPartException};
 *   <li>{@code TypeMismatchException} (e.g. {@code MethodArgumentTypeMismatchException}: a value
 *       that does not convert to the parameter type).
 * </ul>
 *
 * Any other 4xx — an exception thrown by the handler itself, a {@code ResponseEntity} with 4xx, a
 * {@code ConstraintViolationException} from a validated service the handler called — happened while
 * executing and follows the endpoint's outcome policy. Requests rejected before the filter claims
 * the key (missing or malformed key, 405, 406, 413, 415) never touch the store either.
 */
final class RequestValidation {

  private static final String[] VALIDATION_EXCEPTIONS = {
    "org.springframework.http.converter.HttpMessageNotReadableException",
    "org.springframework.validation.BindException",
    "org.springframework.web.method.annotation.HandlerMethodValidationException",
    "org.springframework.web.bind.ServletRequestBindingException",
    "org.springframework.web.multipart.support.MissingServletRequestPartException",
    "org.springframework.beans.TypeMismatchException",
  };

  private RequestValidation() {}

  /** True if the dispatch ended with a resolved request-validation exception. */
  static boolean rejected(HttpServletRequest request) {
    // Set by the DispatcherServlet when a resolver handled the exception with an empty view
    // (sendError, @ResponseBody); for a resolver that rendered a view, the error attribute.
    Object ex = request.getAttribute(DispatcherServlet.EXCEPTION_ATTRIBUTE);
    if (!(ex instanceof Throwable)) {
      ex = request.getAttribute(WebUtils.ERROR_EXCEPTION_ATTRIBUTE);
    }
    if (!(ex instanceof Throwable)) {
      return false;
    }
    for (Class<?> c = ex.getClass(); c != null; c = c.getSuperclass()) {
      for (String name : VALIDATION_EXCEPTIONS) {
        if (c.getName().equals(name)) {
          return true;
        }
      }
    }
    return false;
  }
}
