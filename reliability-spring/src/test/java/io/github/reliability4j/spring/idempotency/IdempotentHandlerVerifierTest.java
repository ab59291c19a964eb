package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.spring.internal.ReliabilityStartFailureAnalyzer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * No silent no-ops at start-up: {@code @Idempotent} on a handler that answers a safe method fails
 * the start naming the handler unless allowed, and in a real reactive (WebFlux) context any
 * {@code @Idempotent} handler fails the start, because the servlet filter would never run.
 */
class IdempotentHandlerVerifierTest {

  final WebApplicationContextRunner mvc =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DispatcherServletAutoConfiguration.class,
                  WebMvcAutoConfiguration.class,
                  IdempotencyAutoConfiguration.class));

  @RestController
  static class GetHandler {
    @Idempotent
    @GetMapping("/orders")
    String list() {
      return "[]";
    }
  }

  @RestController
  static class AnyMethodHandler {
    @Idempotent
    @RequestMapping("/any")
    String any() {
      return "ok";
    }
  }

  @RestController
  static class AllowedGetHandler {
    @Idempotent(allowSafeMethods = true)
    @GetMapping("/report")
    String report() {
      return "ok";
    }
  }

  @RestController
  static class PostHandler {
    @Idempotent
    @PostMapping("/orders")
    String create() {
      return "ok";
    }

    @GetMapping("/orders")
    String list() {
      return "[]";
    }
  }

  @RestController
  @Idempotent
  static class TypeLevelHandler {
    @GetMapping("/type-level")
    String get() {
      return "ok";
    }
  }

  static String messages(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c.getMessage()).append('\n');
    }
    return all.toString();
  }

  static InvalidIdempotentHandlerException cause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InvalidIdempotentHandlerException e) {
        return e;
      }
    }
    throw new AssertionError("no InvalidIdempotentHandlerException in " + messages(t));
  }

  @Test
  void getHandlerFailsTheStartNamingIt() {
    mvc.withUserConfiguration(GetHandler.class)
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              InvalidIdempotentHandlerException e = cause(ctx.getStartupFailure());
              assertThat(e.getHandler()).isEqualTo(GetHandler.class.getName() + "#list()");
              assertThat(e.getMessage())
                  .contains(GetHandler.class.getName() + "#list()")
                  .contains("answers GET")
                  .contains("allowSafeMethods = true");
            });
  }

  @Test
  void theFailureAnalyzerReportsTheHandlerAndTheAction() {
    mvc.withUserConfiguration(GetHandler.class)
        .run(
            ctx -> {
              FailureAnalysis analysis =
                  new ReliabilityStartFailureAnalyzer(null).analyze(ctx.getStartupFailure());
              assertThat(analysis).isNotNull();
              assertThat(analysis.getDescription())
                  .contains(GetHandler.class.getName() + "#list()");
              assertThat(analysis.getAction()).contains("allowSafeMethods = true");
            });
    reactive
        .withUserConfiguration(ReactiveHandler.class)
        .run(
            ctx ->
                assertThat(
                        new ReliabilityStartFailureAnalyzer(null)
                            .analyze(ctx.getStartupFailure())
                            .getAction())
                    .contains("Spring MVC"));
  }

  @Test
  void mappingWithoutAMethodFailsTheStart() {
    mvc.withUserConfiguration(AnyMethodHandler.class)
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(cause(ctx.getStartupFailure()).getMessage())
                  .contains(AnyMethodHandler.class.getName() + "#any()")
                  .contains("mapped without a method");
            });
  }

  @Test
  void typeLevelAnnotationCoversTheGetHandler() {
    mvc.withUserConfiguration(TypeLevelHandler.class)
        .run(
            ctx ->
                assertThat(cause(ctx.getStartupFailure()).getHandler())
                    .isEqualTo(TypeLevelHandler.class.getName() + "#get()"));
  }

  @Test
  void explicitlyAllowedSafeMethodAndPostHandlersStart() {
    mvc.withUserConfiguration(AllowedGetHandler.class, PostHandler.class)
        .run(ctx -> assertThat(ctx).hasNotFailed());
  }

  @Test
  void disabledIdempotencySkipsTheCheck() {
    mvc.withUserConfiguration(GetHandler.class)
        .withPropertyValues("reliability.idempotency.enabled=false")
        .run(ctx -> assertThat(ctx).hasNotFailed());
  }

  // ---- reactive -------------------------------------------------------------------------------

  final ReactiveWebApplicationContextRunner reactive =
      new ReactiveWebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  WebFluxAutoConfiguration.class, IdempotencyAutoConfiguration.class));

  @RestController
  static class ReactiveHandler {
    @Idempotent
    @PostMapping("/payments")
    Mono<String> pay() {
      return Mono.just("paid");
    }
  }

  @RestController
  static class PlainReactiveHandler {
    @PostMapping("/payments")
    Mono<String> pay() {
      return Mono.just("paid");
    }
  }

  @Test
  void idempotentReactiveHandlerFailsTheStart() {
    reactive
        .withUserConfiguration(ReactiveHandler.class)
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              InvalidIdempotentHandlerException e = cause(ctx.getStartupFailure());
              assertThat(e.getHandler()).isEqualTo(ReactiveHandler.class.getName() + "#pay()");
              assertThat(e.getMessage())
                  .contains("reactive (WebFlux)")
                  .contains("servlet")
                  .contains("reliability.idempotency.enabled=false");
            });
  }

  @Test
  void reactiveApplicationsWithoutTheAnnotationStart() {
    reactive
        .withUserConfiguration(PlainReactiveHandler.class)
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean("reliabilityIdempotencyFilter");
            });
  }
}
