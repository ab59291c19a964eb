package io.github.reliability4j.test.postgres;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Runs the annotated test class against an embedded PostgreSQL primary with {@link #replicas()}
 * hot-standby replicas connected by real streaming replication.
 *
 * <pre>{@code
 * @ReplicatedPostgres(replicas = 2)
 * class ReadYourWritesTest {
 *   @Test
 *   void readsOwnWrite(PostgresCluster cluster) throws SQLException {
 *     cluster.replica(0).pauseReplay();
 *     // write through cluster.primary().dataSource(), read through the replica ...
 *   }
 * }
 * }</pre>
 *
 * <h2>Injection</h2>
 *
 * A {@link PostgresCluster} parameter is resolved in test methods, lifecycle methods (including
 * static {@code @BeforeAll}) and constructors.
 *
 * <h2>Sharing and reset</h2>
 *
 * The cluster is started on first use and shared by every test class in the run whose annotation
 * has equal attributes (the same {@link ClusterConfig}); it is closed when the JUnit run ends.
 * Before each top-level test class the extension calls {@link PostgresCluster#resetReplicas()}, so
 * a class that paused, delayed or stopped a replica does not leak that state into the next class.
 * It does not reset between test methods of one class, and it does not remove tables or rows: use
 * unique table names. The injected cluster cannot be closed by tests ({@code close()} does
 * nothing).
 *
 * <h2>Parallel execution</h2>
 *
 * The annotation carries {@code @ResourceLock(}{@value #RESOURCE_LOCK}{@code )}, so with JUnit's
 * parallel execution enabled, classes using a replicated cluster run one at a time while other
 * tests run in parallel. Replica state is global to the cluster; parallel classes would undo each
 * other's pauses.
 *
 * <h2>Failures</h2>
 *
 * Invalid attributes fail the class with an {@link IllegalArgumentException} naming the attribute.
 * A cluster that cannot start (a port in use, a replica that never streams) fails every class that
 * asks for it with an {@link IllegalStateException} within {@link #startupTimeoutSeconds()}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(ReplicatedPostgresExtension.class)
@ResourceLock(ReplicatedPostgres.RESOURCE_LOCK)
public @interface ReplicatedPostgres {

  /** The JUnit resource lock held by every class that uses this annotation. */
  String RESOURCE_LOCK = "io.github.reliability4j.test.postgres.ReplicatedPostgres";

  /** Number of hot-standby replicas; {@code >= 0}. */
  int replicas() default ClusterConfig.DEFAULT_REPLICAS;

  /**
   * Extra server settings for every node, each {@code "name=value"}, e.g. {@code
   * "synchronous_commit=on"}. See {@link ClusterConfig.Builder#serverSetting(String, String)}.
   */
  String[] settings() default {};

  /** Deadline in seconds for starting the cluster, and for each reset; {@code > 0}. */
  long startupTimeoutSeconds() default 120;
}
