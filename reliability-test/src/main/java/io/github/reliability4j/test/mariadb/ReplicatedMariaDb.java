package io.github.reliability4j.test.mariadb;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Runs the annotated test class against a local MariaDB primary with {@link #replicas()} replicas
 * connected by real GTID replication, started from the {@code mariadbd} binary on the machine.
 *
 * <pre>{@code
 * @ReplicatedMariaDb(replicas = 1)
 * class ReadYourWritesTest {
 *   @Test
 *   void readsOwnWrite(MariaDbCluster cluster) throws SQLException {
 *     cluster.replica(0).stopReplication();
 *     // write through cluster.primary().dataSource(), read through the replica ...
 *   }
 * }
 * }</pre>
 *
 * <h2>Injection, sharing and reset</h2>
 *
 * A {@link MariaDbCluster} parameter is resolved in test methods, lifecycle methods (including
 * static {@code @BeforeAll}) and constructors. The cluster is started on first use and shared by
 * every test class of the run whose annotation has equal attributes; it is closed when the JUnit
 * run ends (and by a shutdown hook if the run is cut short). Before each top-level class the
 * extension calls {@link MariaDbCluster#resetReplicas()}. It does not reset between methods and
 * does not drop tables: use unique names. {@code close()} on the injected cluster does nothing.
 *
 * <h2>Missing binaries</h2>
 *
 * Where {@code mariadbd} or {@code mariadb-install-db} is not installed, every test of the class is
 * <em>skipped</em> with a message saying what to install — or <em>fails</em> when the environment
 * variable {@code RELIABILITY_REQUIRE_SERVICES=true} (as in CI), like {@link
 * io.github.reliability4j.test.services.Services}. The driver {@code
 * org.mariadb.jdbc:mariadb-java-client} must be on the test class path.
 *
 * <h2>Parallel execution</h2>
 *
 * The annotation carries {@code @ResourceLock(}{@value #RESOURCE_LOCK}{@code )}: classes using the
 * cluster run one at a time, as replica state is global to the cluster.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(ReplicatedMariaDbExtension.class)
@ResourceLock(ReplicatedMariaDb.RESOURCE_LOCK)
public @interface ReplicatedMariaDb {

  /** The JUnit resource lock held by every class that uses this annotation. */
  String RESOURCE_LOCK = "io.github.reliability4j.test.mariadb.ReplicatedMariaDb";

  /** Number of replicas, 0 to 16. */
  int replicas() default MariaDbClusterConfig.DEFAULT_REPLICAS;

  /**
   * Extra {@code mariadbd} options for every node, each {@code "name=value"}, e.g. {@code
   * "binlog-format=MIXED"}; see {@link MariaDbClusterConfig.Builder#serverOption(String)}.
   */
  String[] options() default {};

  /** Deadline in seconds for starting the cluster and for each reset; {@code > 0}. */
  long startupTimeoutSeconds() default 120;
}
