package io.github.reliability4j.spring.idempotency.slice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.spring.idempotency.IdempotencyProblem;
import io.github.reliability4j.spring.idempotency.Idempotent;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * A {@code @WebMvcTest} slice applies {@code @Idempotent} like the application does: the
 * auto-configuration is imported through Boot's slice-import file, so a request without a key gets
 * 400 (not the handler's 201) and a retry is replayed. The slice has no DataSource, so the store is
 * in-memory. The configuration below enables no auto-configuration of its own: whatever runs
 * besides MVC comes from the slice's imports.
 */
@WebMvcTest(
    controllers = IdempotencyWebMvcSliceTest.Payments.class,
    properties = "reliability.routing.enabled=false")
class IdempotencyWebMvcSliceTest {

  @SpringBootConfiguration
  @Import(Payments.class)
  static class SliceApp {}

  @RestController
  static class Payments {
    final AtomicInteger executions = new AtomicInteger();

    @Idempotent
    @PostMapping("/payments")
    @ResponseStatus(HttpStatus.CREATED)
    String pay(@RequestBody String body) {
      return "{\"payment\":" + executions.incrementAndGet() + "}";
    }
  }

  @Autowired MockMvc mvc;
  @Autowired Payments payments;
  @Autowired IdempotencyStore store;

  @Test
  void requestWithoutAKeyGets400AsInTheApplication() throws Exception {
    int before = payments.executions.get();
    mvc.perform(post("/payments").contentType(MediaType.APPLICATION_JSON).content("{}"))
        .andExpect(status().isBadRequest())
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.type").value(IdempotencyProblem.KEY_MISSING.type().toString()));
    assertThat(payments.executions).hasValue(before);
  }

  org.springframework.test.web.servlet.ResultActions pay(String key) throws Exception {
    return mvc.perform(
        post("/payments")
            .header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON)
            .content("{\"amount\":5}"));
  }

  @Test
  void retryIsReplayed() throws Exception {
    int before = payments.executions.get();
    String first =
        pay("slice-1")
            .andExpect(status().isCreated())
            .andReturn()
            .getResponse()
            .getContentAsString();
    pay("slice-1")
        .andExpect(status().isCreated())
        .andExpect(header().string("Idempotent-Replayed", "true"))
        .andExpect(content().string(first));
    assertThat(payments.executions).hasValue(before + 1);
    assertThat(store.isLocal()).isTrue();
  }
}
