package io.github.reliability4j.test.services;

import java.time.Duration;
import java.util.Map;

/**
 * Checks for the services a development or CI machine of this project runs (see {@code
 * TESTING.md}): PostgreSQL 15 on 127.0.0.1:5432, MariaDB on 127.0.0.1:3306, Redis on 127.0.0.1:6379
 * and RabbitMQ on 127.0.0.1:5672.
 *
 * <p>Each method checks within about 2 seconds that the service answers its own protocol (not just
 * that the port is open). When it does not, the calling test is <em>skipped</em> with a {@link
 * org.opentest4j.TestAbortedException} whose message names the command that starts the service —
 * unless the environment variable {@value #REQUIRE_SERVICES_ENV} is {@code true} (CI sets it), in
 * which case the test <em>fails</em> with an {@link AssertionError} carrying the same message. Call
 * them from a test or a {@code @BeforeAll} method.
 *
 * <p>The checks use plain sockets, so no JDBC driver is needed here: the caller connects with its
 * own driver. Results are not cached; each call checks again. Thread-safe.
 *
 * <p>Tests that only need PostgreSQL should prefer the embedded cluster in {@code
 * io.github.reliability4j.test.postgres}, which never skips.
 */
public final class Services {

  /** The environment variable that turns skips into failures when set to {@code true}. */
  public static final String REQUIRE_SERVICES_ENV = "RELIABILITY_REQUIRE_SERVICES";

  /** How long a service may take to answer before it counts as down. */
  public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  private Services() {}

  /**
   * Returns {@code jdbc:mariadb://127.0.0.1:3306/test?user=root} once MariaDB answers.
   *
   * @throws org.opentest4j.TestAbortedException if MariaDB does not answer and services are not
   *     required
   * @throws AssertionError if MariaDB does not answer and {@value #REQUIRE_SERVICES_ENV}=true
   */
  public static String mariaDbJdbcUrl() {
    require(Service.MARIADB);
    return "jdbc:mariadb://127.0.0.1:3306/test?user=root";
  }

  /**
   * Returns {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres} (the machine's PostgreSQL
   * 15, trust authentication) once it answers.
   *
   * @throws org.opentest4j.TestAbortedException if PostgreSQL does not answer and services are not
   *     required
   * @throws AssertionError if it does not answer and {@value #REQUIRE_SERVICES_ENV}=true
   */
  public static String postgresJdbcUrl() {
    require(Service.POSTGRESQL);
    return "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  }

  /**
   * Returns normally once Redis answers {@code PING} on 127.0.0.1:6379.
   *
   * @throws org.opentest4j.TestAbortedException if Redis does not answer and services are not
   *     required
   * @throws AssertionError if Redis does not answer and {@value #REQUIRE_SERVICES_ENV}=true
   */
  public static void requireRedis() {
    require(Service.REDIS);
  }

  /**
   * Returns normally once RabbitMQ answers the AMQP 0-9-1 protocol header on 127.0.0.1:5672
   * (credentials guest/guest).
   *
   * @throws org.opentest4j.TestAbortedException if RabbitMQ does not answer and services are not
   *     required
   * @throws AssertionError if RabbitMQ does not answer and {@value #REQUIRE_SERVICES_ENV}=true
   */
  public static void requireRabbitMq() {
    require(Service.RABBITMQ);
  }

  /** Same check as {@link #mariaDbJdbcUrl()}, without the URL. */
  public static void requireMariaDb() {
    require(Service.MARIADB);
  }

  /** Same check as {@link #postgresJdbcUrl()}, without the URL. */
  public static void requirePostgres() {
    require(Service.POSTGRESQL);
  }

  /**
   * Whether {@value #REQUIRE_SERVICES_ENV} is {@code true} (case-insensitive) in the environment.
   */
  public static boolean servicesRequired() {
    return servicesRequired(System.getenv());
  }

  static boolean servicesRequired(Map<String, String> env) {
    String value = env.get(REQUIRE_SERVICES_ENV);
    return value != null && value.trim().equalsIgnoreCase("true");
  }

  private static void require(Service service) {
    ServiceCheck.require(
        service, service.host(), service.port(), CHECK_TIMEOUT, servicesRequired());
  }
}
