package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.server.servlet.context.AnnotationConfigServletWebServerApplicationContext;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Tenant scoping cannot be dropped: an ambiguous {@link TenantResolver} fails the start, and the
 * same key sent by two tenants over real HTTP executes twice.
 */
@ExtendWith(OutputCaptureExtension.class)
class TenantScopeTest {

  final WebApplicationContextRunner web =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class));

  @Test
  void twoTenantResolversFailTheStartNamingBoth() {
    web.withBean("headerTenants", TenantResolver.class, () -> req -> req.getHeader("X-Tenant"))
        .withBean("tenantResolver", TenantResolver.class, () -> req -> "fixed")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .rootCause()
                  .hasMessageContaining("2 TenantResolver beans")
                  .hasMessageContaining("headerTenants")
                  .hasMessageContaining("tenantResolver");
            });
  }

  @Test
  void aPrimaryTenantResolverIsAnExplicitChoice() {
    TenantResolver chosen = req -> "chosen";
    web.withBean("other", TenantResolver.class, () -> req -> "other")
        .withBean("chosen", TenantResolver.class, () -> chosen, d -> d.setPrimary(true))
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              org.springframework.mock.web.MockHttpServletRequest r =
                  new org.springframework.mock.web.MockHttpServletRequest();
              assertThat(ctx.getBean(IdempotencyScopeResolver.class).resolveScope(r))
                  .contains("6:chosen");
            });
  }

  @RestController
  static class TenantOrders {
    final java.util.concurrent.atomic.AtomicInteger executions =
        new java.util.concurrent.atomic.AtomicInteger();

    @Idempotent
    @PostMapping("/tenant-orders")
    String create() {
      return "execution " + executions.incrementAndGet();
    }
  }

  private static WebApplicationContextRunner server() {
    return new WebApplicationContextRunner(AnnotationConfigServletWebServerApplicationContext::new)
        .withConfiguration(
            AutoConfigurations.of(
                TomcatServletWebServerAutoConfiguration.class,
                DispatcherServletAutoConfiguration.class,
                HttpMessageConvertersAutoConfiguration.class,
                WebMvcAutoConfiguration.class,
                IdempotencyAutoConfiguration.class))
        .withPropertyValues("server.port=0")
        .withUserConfiguration(TenantOrders.class);
  }

  private static HttpResponse<String> post(int port, String tenant, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/tenant-orders"))
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.noBody());
    if (tenant != null) {
      b.header("X-Tenant", tenant);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void twoTenantsWithOneKeyExecuteTwiceOverHttp(CapturedOutput output) {
    server()
        .withBean(TenantResolver.class, () -> req -> req.getHeader("X-Tenant"))
        .run(
            ctx -> {
              int port =
                  ((WebServerApplicationContext) ctx.getSourceApplicationContext())
                      .getWebServer()
                      .getPort();
              String key = UUID.randomUUID().toString();
              HttpResponse<String> t1 = post(port, "t1", key);
              HttpResponse<String> t2 = post(port, "t2", key);
              HttpResponse<String> t1Again = post(port, "t1", key);

              assertThat(t1.statusCode()).isEqualTo(200);
              assertThat(t2.statusCode()).isEqualTo(200);
              assertThat(t1.body()).isEqualTo("execution 1");
              assertThat(t2.body()).isEqualTo("execution 2");
              assertThat(t2.headers().firstValue("Idempotent-Replayed")).isEmpty();
              assertThat(t1Again.body()).isEqualTo("execution 1");
              assertThat(t1Again.headers().firstValue("Idempotent-Replayed")).contains("true");
              assertThat(ctx.getBean(TenantOrders.class).executions).hasValue(2);
              // A tenant resolver identifies callers: no shared-scope warning.
              assertThat(output).doesNotContain("share ONE key space");
            });
  }

  @Test
  void noCallerIdentityLogsOneWarningAtStartUp(CapturedOutput output) {
    server()
        .withPropertyValues("reliability.idempotency.scope-by-principal=false")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              String log = output.getAll();
              int first = log.indexOf("every client shares ONE key space");
              assertThat(first).isNotNegative();
              assertThat(log.indexOf("every client shares ONE key space", first + 1)).isEqualTo(-1);
            });
  }

  @Test
  void noWarningWithoutIdempotentEndpoints(CapturedOutput output) {
    web.withPropertyValues("reliability.idempotency.scope-by-principal=false")
        .run(ctx -> assertThat(output).doesNotContain("ONE key space"));
  }
}
