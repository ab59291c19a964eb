package io.github.reliability4j.spring.retention;

import static org.assertj.core.api.Assertions.assertThat;

import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** Bad retention properties fail the context with a message naming the policy and setting. */
class RetentionPropertiesValidationTest {

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(RetentionAutoConfiguration.class))
          .withBean(
              DataSource.class,
              () -> new DriverManagerDataSource("jdbc:h2:mem:retention_props;DB_CLOSE_DELAY=-1"));

  @Test
  void noPoliciesNoScheduleNoProbe() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(RetentionPolicies.class).getRunners()).isEmpty();
          assertThat(ctx.getBean(RetentionSchedulerLifecycle.class).getScheduler()).isNull();
          assertThat(ctx).doesNotHaveBean("reliabilityRetentionBacklogProbe");
        });
  }

  @Test
  void aMissingMaxAgeNamesThePolicyIndex() {
    runner
        .withPropertyValues(
            "reliability.retention.policies[0].table=orders",
            "reliability.retention.policies[0].age-column=created_at")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "reliability.retention.policies[0]: maxAge must be set for table orders"));
  }

  @Test
  void archiveWithoutArchiveTable() {
    runner
        .withPropertyValues(
            "reliability.retention.policies[0].table=orders",
            "reliability.retention.policies[0].age-column=created_at",
            "reliability.retention.policies[0].max-age=1d",
            "reliability.retention.policies[0].action=archive-then-delete")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "reliability.retention.policies[0]: archive-table must be set for action"
                            + " ARCHIVE_THEN_DELETE (table orders)"));
  }

  @Test
  void twoPoliciesWithOneName() {
    runner
        .withPropertyValues(
            "reliability.retention.policies[0].table=orders",
            "reliability.retention.policies[0].age-column=created_at",
            "reliability.retention.policies[0].max-age=1d",
            "reliability.retention.policies[1].table=orders",
            "reliability.retention.policies[1].age-column=updated_at",
            "reliability.retention.policies[1].max-age=2d")
        .run(
            ctx ->
                assertThat(ctx.getStartupFailure())
                    .hasStackTraceContaining(
                        "reliability.retention.policies[1]: a policy named 'orders' is already"
                            + " configured; give each policy a unique name"));
  }

  @Test
  void disabledAltogether() {
    runner
        .withPropertyValues("reliability.retention.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RetentionPolicies.class));
  }
}
