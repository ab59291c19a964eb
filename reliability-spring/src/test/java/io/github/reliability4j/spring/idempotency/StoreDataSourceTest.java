package io.github.reliability4j.spring.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.idempotency.IdempotencyStore;
import io.github.reliability4j.core.idempotency.InMemoryIdempotencyStore;
import io.github.reliability4j.jdbc.idempotency.JdbcIdempotencyStore;
import io.github.reliability4j.spring.InvalidReliabilityPropertyException;
import java.sql.Connection;
import java.sql.ResultSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * {@code reliability.idempotency.jdbc.data-source} picks the store's DataSource among several; an
 * ambiguous choice with {@code store=jdbc} fails the start instead of falling back to memory.
 */
@ExtendWith(OutputCaptureExtension.class)
class StoreDataSourceTest {

  static final DataSource ORDERS = h2("orders");
  static final DataSource AUDIT = h2("audit");

  static DataSource h2(String name) {
    return new DriverManagerDataSource(
        "jdbc:h2:mem:" + name + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
  }

  final ApplicationContextRunner twoDataSources =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class))
          .withBean("ordersDataSource", DataSource.class, () -> ORDERS)
          .withBean("auditDataSource", DataSource.class, () -> AUDIT)
          .withPropertyValues(
              "reliability.idempotency.jdbc.initialize-schema=true",
              "reliability.idempotency.jdbc.table-name=ds_choice_keys");

  static boolean hasTable(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection();
        ResultSet rs = c.getMetaData().getTables(null, null, "DS_CHOICE_KEYS", null)) {
      return rs.next();
    }
  }

  static InvalidReliabilityPropertyException cause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InvalidReliabilityPropertyException e) {
        return e;
      }
    }
    throw new AssertionError("no InvalidReliabilityPropertyException", t);
  }

  @Test
  void theNamedDataSourceHoldsTheRecords() {
    twoDataSources
        .withPropertyValues(
            "reliability.idempotency.store=jdbc",
            "reliability.idempotency.jdbc.data-source=auditDataSource")
        .run(
            ctx -> {
              assertThat(ctx.getBean(IdempotencyStore.class))
                  .isInstanceOf(JdbcIdempotencyStore.class);
              assertThat(hasTable(AUDIT)).isTrue();
              assertThat(hasTable(ORDERS)).isFalse();
            });
  }

  @Test
  void ambiguousChoiceWithStoreJdbcFailsTheStartNamingTheProperty() {
    twoDataSources
        .withPropertyValues("reliability.idempotency.store=jdbc")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              InvalidReliabilityPropertyException e = cause(ctx.getStartupFailure());
              assertThat(e.getProperty()).isEqualTo("reliability.idempotency.store");
              assertThat(e.getMessage())
                  .contains("2 DataSource beans")
                  .contains("ordersDataSource")
                  .contains("auditDataSource")
                  .contains("reliability.idempotency.jdbc.data-source");
            });
  }

  @Test
  void aNameThatIsNoDataSourceFailsTheStart() {
    twoDataSources
        .withPropertyValues("reliability.idempotency.jdbc.data-source=missing")
        .run(
            ctx -> {
              InvalidReliabilityPropertyException e = cause(ctx.getStartupFailure());
              assertThat(e.getProperty()).isEqualTo("reliability.idempotency.jdbc.data-source");
              assertThat(e.getMessage()).contains("missing").contains("auditDataSource");
            });
  }

  @Test
  void ambiguousChoiceWithStoreAutoFallsBackToMemoryWithAWarningNamingTheProperty(
      CapturedOutput output) {
    twoDataSources.run(
        ctx -> {
          assertThat(ctx.getBean(IdempotencyStore.class))
              .isInstanceOf(InMemoryIdempotencyStore.class);
          assertThat(output)
              .contains("2 DataSource beans")
              .contains("reliability.idempotency.jdbc.data-source");
        });
  }
}
