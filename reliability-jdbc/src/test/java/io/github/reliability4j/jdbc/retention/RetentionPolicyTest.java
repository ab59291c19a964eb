package io.github.reliability4j.jdbc.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Eager validation of the policy's settings. */
class RetentionPolicyTest {

  RetentionPolicy.Builder valid() {
    return RetentionPolicy.custom()
        .table("orders")
        .ageColumn("created_at")
        .maxAge(Duration.ofDays(1));
  }

  @Test
  void defaults() {
    RetentionPolicy p = valid().build();
    assertThat(p.getName()).isEqualTo("orders");
    assertThat(p.getPrimaryKey()).isEqualTo("id");
    assertThat(p.getAction()).isEqualTo(RetentionPolicy.Action.DELETE);
    assertThat(p.getArchiveTable()).isEmpty();
    assertThat(p.getAgeType()).isEqualTo(RetentionPolicy.AgeType.TIMESTAMP);
    RetentionPolicy a = RetentionPolicy.from(p).archiveThenDelete("app.orders_archive").build();
    assertThat(a.getAction()).isEqualTo(RetentionPolicy.Action.ARCHIVE_THEN_DELETE);
    assertThat(a.getArchiveTable()).contains("app.orders_archive");
    assertThat(RetentionPolicy.from(a).delete().build().getArchiveTable()).isEmpty();
  }

  @Test
  void badValuesAreRefusedAtOnceNamingTheSetting() {
    assertThatThrownBy(() -> RetentionPolicy.custom().table("orders; drop"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "table must be a plain or schema-qualified identifier ([schema.]name), but was"
                + " 'orders; drop'");
    assertThatThrownBy(() -> RetentionPolicy.custom().ageColumn("a.b"))
        .hasMessage("ageColumn must match [A-Za-z_][A-Za-z0-9_]*, but was 'a.b'");
    assertThatThrownBy(() -> RetentionPolicy.custom().maxAge(Duration.ZERO))
        .hasMessage("maxAge must be positive, but was PT0S");
    assertThatThrownBy(() -> RetentionPolicy.custom().maxBatchSize(10_001))
        .hasMessage("maxBatchSize must be between 1 and 10000, but was 10001");
    assertThatThrownBy(() -> RetentionPolicy.custom().extraCondition("1=1; DELETE FROM x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("extraCondition must be one non-blank SQL condition");
    assertThatThrownBy(() -> RetentionPolicy.custom().pauseBetweenBatches(Duration.ofMillis(-1)))
        .hasMessage("pauseBetweenBatches must not be negative, but was PT-0.001S");
  }

  @Test
  void conflictingSettingsAreRefusedAtBuild() {
    assertThatThrownBy(
            () -> RetentionPolicy.custom().ageColumn("c").maxAge(Duration.ofDays(1)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("table must be set");
    assertThatThrownBy(() -> valid().minBatchSize(600).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "batch sizes must satisfy minBatchSize <= initialBatchSize <= maxBatchSize, but were"
                + " 600, 500, 5000");
    assertThatThrownBy(() -> valid().archiveThenDelete("ORDERS").build())
        .hasMessage("archiveTable must differ from table, but both were orders");
    assertThatThrownBy(() -> valid().leaseDuration(Duration.ofMillis(900)).build())
        .hasMessage(
            "leaseDuration (PT0.9S) must be at least twice batchTimeBudget (PT0.5S) and twice"
                + " throttlePollInterval (PT0.2S)");
  }
}
