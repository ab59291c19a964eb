package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(
    classes = {IdempotentTestApp.class, AbstractStoreOutageTest.OutageStoreConfig.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "reliability.idempotency.store-failure-mode=fail-closed",
      "reliability.idempotency.store-call-timeout=300ms",
      "reliability.idempotency.retry-after=3s",
      "reliability.routing.enabled=false",
      "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
class StoreOutageFailClosedTest extends AbstractStoreOutageTest {

  @Test
  void throwingStoreAnswers503ProblemWithRetryAfterAndDoesNotRunTheHandler() throws Exception {
    store.set(OutageStore.Mode.THROWING);
    HttpResponse<String> r = post(key());
    assertUnavailable(r);
  }

  @Test
  void hangingStoreIsCutOffByTheStoreCallTimeoutAndAnswers503() throws Exception {
    store.set(OutageStore.Mode.HANGING);
    HttpResponse<String> r = post(key());
    assertUnavailable(r);
    assertThat(store.hungClaims.get()).isEqualTo(1);
  }

  @Test
  void afterTheOutageTheSameKeyExecutesOnceAndReplays() throws Exception {
    String key = key();
    store.set(OutageStore.Mode.THROWING);
    assertUnavailable(post(key));
    store.heal();
    HttpResponse<String> first = post(key);
    HttpResponse<String> second = post(key);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(second.body()).isEqualTo(first.body());
    assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(controller.executions.get()).isEqualTo(1);
  }

  private void assertUnavailable(HttpResponse<String> r) {
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("3");
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
    assertThat(r.body()).contains("\"status\":503").contains("Idempotency store unavailable");
    assertThat(controller.executions.get()).isZero();
  }
}
