package io.github.reliability4j.benchmarks.http;

import com.zaxxer.hikari.HikariDataSource;
import io.github.reliability4j.benchmarks.support.BenchDatabase;
import io.github.reliability4j.benchmarks.support.RoundTripCounter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The application under test: Spring Boot with embedded Tomcat, Spring MVC, Spring JDBC and the
 * reliability4j starter, configured by auto-configuration as a user's application is, with one
 * controller ({@link OrdersController}) whose two endpoints run the same handler.
 *
 * <p>Its only own bean is the {@code DataSource}: a HikariCP pool of 10 connections (Hikari's
 * default size) over a {@link RoundTripCounter}, so the harness can report database round trips per
 * request. The idempotency store is the auto-configured JDBC store on that DataSource (table
 * {@value #KEYS_TABLE}, created at start-up), the engine has its default settings (store-call
 * timeout, lease, circuit breaker), and transactional completion is on (the default): the
 * {@code @Transactional @Idempotent} handler completes its key in its own transaction.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
@Import(OrdersController.class)
public class OrdersApplication {

  static final String KEYS_TABLE = "bench_http_keys";
  static final String ORDERS_TABLE = OrdersController.TABLE;
  static final int POOL_SIZE = 10;

  /**
   * Tomcat logs through java.util.logging, whose loggers are held weakly: kept here so the level
   * set in {@link #start} stays.
   */
  private static final java.util.logging.Logger TOMCAT_LOG =
      java.util.logging.Logger.getLogger("org.apache");

  @Bean(destroyMethod = "close")
  HikariDataSource dataSource(
      RoundTripCounter benchRoundTrips, @Value("${bench.http.jdbc-url}") String url) {
    return BenchDatabase.pool(
        "bench-http", benchRoundTrips.wrap(BenchDatabase.plain(url)), POOL_SIZE);
  }

  /**
   * Starts the application on a free loopback port against {@code jdbcUrl}; {@code roundTrips}
   * counts what its connections send.
   */
  static ConfigurableApplicationContext start(String jdbcUrl, RoundTripCounter roundTrips) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("bench.http.jdbc-url", jdbcUrl);
    p.put("server.port", "0");
    p.put("server.address", "127.0.0.1");
    // A load generator keeps its connections open (as wrk does); Tomcat's default closes each one
    // after 100 requests.
    p.put("server.tomcat.max-keep-alive-requests", "-1");
    p.put("reliability.idempotency.jdbc.table-name", KEYS_TABLE);
    p.put("reliability.idempotency.jdbc.initialize-schema", "true");
    p.put("spring.main.banner-mode", "off");
    // The benchmarks log nowhere (slf4j-nop). Boot would otherwise configure the Log4j 2 that the
    // embedded Kafka broker brings; Tomcat's start/stop lines and its shutdown warning about the
    // engine's shared store threads (daemon threads that outlive one application by design)
    // would go to stderr between the progress lines.
    System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
    TOMCAT_LOG.setLevel(java.util.logging.Level.SEVERE);
    SpringApplication app = new SpringApplication(OrdersApplication.class);
    app.setBannerMode(Banner.Mode.OFF);
    app.setLogStartupInfo(false);
    app.setRegisterShutdownHook(false);
    app.setDefaultProperties(p);
    app.addInitializers(
        context -> context.getBeanFactory().registerSingleton("benchRoundTrips", roundTrips));
    return app.run();
  }

  /** The port the embedded Tomcat listens on. */
  static int port(ConfigurableApplicationContext context) {
    Integer port = context.getEnvironment().getProperty("local.server.port", Integer.class);
    if (port == null) {
      throw new IllegalStateException(
          "local.server.port is not set: the web server did not start, or Spring Boot's"
              + " spring.factories were not merged into the jar (see the shade configuration in"
              + " benchmarks/pom.xml)");
    }
    return port;
  }
}
