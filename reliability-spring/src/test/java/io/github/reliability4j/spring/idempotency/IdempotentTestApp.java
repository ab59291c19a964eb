package io.github.reliability4j.spring.idempotency;

import io.github.reliability4j.core.idempotency.ConcurrencyMode;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** A small application with idempotent endpoints, used by the web tests. */
@SpringBootConfiguration
@EnableAutoConfiguration
class IdempotentTestApp {

  @Bean
  SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
    http.csrf(c -> c.disable())
        .authorizeHttpRequests(a -> a.anyRequest().permitAll())
        .httpBasic(Customizer.withDefaults());
    return http.build();
  }

  @Bean
  InMemoryUserDetailsManager users() {
    return new InMemoryUserDetailsManager(
        User.withUsername("alice").password("{noop}a").roles("USER").build(),
        User.withUsername("bob").password("{noop}b").roles("USER").build());
  }

  @RestController
  static class OrdersController {
    final AtomicInteger executions = new AtomicInteger();
    final AtomicInteger plainExecutions = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile CountDownLatch entered = new CountDownLatch(1);

    @Idempotent
    @PostMapping("/orders")
    ResponseEntity<Map<String, Object>> create(
        @RequestBody Map<String, Object> body, HttpServletResponse response) {
      int n = executions.incrementAndGet();
      response.addHeader("Set-Cookie", "session=secret-" + n);
      response.addHeader("X-Internal", "not-replayed");
      return ResponseEntity.created(URI.create("/orders/" + n))
          .eTag("\"v" + n + "\"")
          .body(Map.of("id", n, "item", body.getOrDefault("item", "")));
    }

    @Idempotent(operation = "charge")
    @PostMapping("/accounts/{id}/charges")
    Map<String, Object> charge(
        @PathVariable String id, @RequestParam(defaultValue = "1") int amount) {
      int n = executions.incrementAndGet();
      return Map.of("account", id, "amount", amount, "execution", n);
    }

    @Idempotent(required = false)
    @PostMapping("/optional")
    Map<String, Object> optional() {
      return Map.of("execution", executions.incrementAndGet());
    }

    @PostMapping("/plain")
    Map<String, Object> plain() {
      return Map.of("execution", plainExecutions.incrementAndGet());
    }

    @Idempotent
    @PostMapping("/server-error")
    ResponseEntity<String> serverError() {
      executions.incrementAndGet();
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body("try later");
    }

    @Idempotent
    @PostMapping("/not-found")
    String notFound() {
      executions.incrementAndGet();
      throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no such thing");
    }

    final java.util.Map<String, java.util.List<String>> flakyAttempts =
        new java.util.concurrent.ConcurrentHashMap<>();

    @Idempotent(operation = "flaky")
    @PostMapping("/flaky/{id}")
    ResponseEntity<String> flaky(
        @PathVariable String id,
        @org.springframework.web.bind.annotation.RequestHeader("Idempotency-Key") String key) {
      java.util.List<String> keys =
          flakyAttempts.computeIfAbsent(id, i -> new java.util.concurrent.CopyOnWriteArrayList<>());
      keys.add(key);
      if (keys.size() < 3) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body("not yet");
      }
      return ResponseEntity.ok("done " + keys.size());
    }

    @Idempotent
    @PostMapping("/slow")
    Map<String, Object> slow() throws InterruptedException {
      int n = executions.incrementAndGet();
      entered.countDown();
      gate.await(30, TimeUnit.SECONDS);
      return Map.of("execution", n);
    }

    record Payment(String item, Integer amount) {}

    @org.springframework.web.bind.annotation.InitBinder("payment")
    void paymentValidation(org.springframework.web.bind.WebDataBinder binder) {
      binder.addValidators(
          new org.springframework.validation.Validator() {
            @Override
            public boolean supports(Class<?> type) {
              return Payment.class.equals(type);
            }

            @Override
            public void validate(Object target, org.springframework.validation.Errors errors) {
              Payment p = (Payment) target;
              if (p.amount() == null || p.amount() <= 0) {
                errors.rejectValue("amount", "positive", "must be positive");
              }
            }
          });
    }

    @Idempotent
    @PostMapping("/validated-payments")
    Map<String, Object> validatedPayment(
        @org.springframework.validation.annotation.Validated @RequestBody Payment payment) {
      return Map.of("item", payment.item(), "execution", executions.incrementAndGet());
    }

    @Idempotent(concurrency = ConcurrencyMode.WAIT, waitTimeout = "20s")
    @PostMapping("/slow-wait")
    Map<String, Object> slowWait() throws InterruptedException {
      int n = executions.incrementAndGet();
      entered.countDown();
      gate.await(30, TimeUnit.SECONDS);
      return Map.of("execution", n);
    }
  }
}
