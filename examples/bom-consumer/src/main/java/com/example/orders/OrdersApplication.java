package com.example.orders;

import io.github.reliability4j.spring.idempotency.Idempotent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A user's first application: the README's {@code @Idempotent} snippet, the in-memory store (no
 * DataSource), then three requests that exit non-zero unless the retry was replayed and a request
 * without a key got 400.
 */
@SpringBootApplication
public class OrdersApplication {

  static final AtomicInteger CREATED = new AtomicInteger();

  @RestController
  static class OrdersController {
    @PostMapping("/orders")
    @Idempotent
    ResponseEntity<String> create(@RequestBody String order) {
      return ResponseEntity.status(201).body("order " + CREATED.incrementAndGet());
    }
  }

  public static void main(String[] args) throws Exception {
    int status;
    try (ConfigurableApplicationContext context =
        SpringApplication.run(OrdersApplication.class, args)) {
      int port = ((WebServerApplicationContext) context).getWebServer().getPort();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> first = http.send(post(port, "\"order-1\""), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> retry = http.send(post(port, "\"order-1\""), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> noKey = http.send(post(port, null), HttpResponse.BodyHandlers.ofString());
      boolean replayed = retry.headers().firstValue("Idempotent-Replayed").orElse("").equals("true");
      System.out.printf(
          "first %d %s; retry %d %s (replayed %s); without a key %d; handler ran %d time(s)%n",
          first.statusCode(), first.body(), retry.statusCode(), retry.body(), replayed,
          noKey.statusCode(), CREATED.get());
      boolean ok =
          first.statusCode() == 201
              && retry.statusCode() == 201
              && replayed
              && retry.body().equals(first.body())
              && noKey.statusCode() == 400
              && CREATED.get() == 1;
      status = ok ? 0 : 1;
    }
    System.exit(status);
  }

  private static HttpRequest post(int port, String key) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("2 books"));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return request.build();
  }
}
