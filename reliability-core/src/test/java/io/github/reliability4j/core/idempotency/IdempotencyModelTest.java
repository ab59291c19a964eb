package io.github.reliability4j.core.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.reliability4j.core.idempotency.internal.OutcomeEncoding;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdempotencyModelTest {

  @Test
  void keyRejectsNullComponentsNamingTheArgument() {
    assertThatThrownBy(() -> IdempotencyKey.of(null, "op", "k")).hasMessage("scope");
    assertThatThrownBy(() -> IdempotencyKey.of("s", null, "k")).hasMessage("operation");
    assertThatThrownBy(() -> IdempotencyKey.of("s", "op", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("clientKey");
  }

  @Test
  void keyRejectsEmptyComponents() {
    assertThatThrownBy(() -> IdempotencyKey.of("s", "op", ""))
        .isInstanceOfSatisfying(
            InvalidIdempotencyKeyException.class,
            e -> {
              assertThat(e.getComponent()).isEqualTo("clientKey");
              assertThat(e.getReason()).isEqualTo(InvalidIdempotencyKeyException.Reason.EMPTY);
            })
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Idempotency key clientKey must not be empty");
    assertThatThrownBy(() -> IdempotencyKey.of("", "op", "k"))
        .hasMessageContaining("scope must not be empty");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\u0000", "\n", "\r", "\t", "\u001b[31m", "\u007f", "\u0085", "\u009f"})
  void keyRejectsControlCharactersAndReportsTheIndex(String control) {
    assertThatThrownBy(() -> IdempotencyKey.of("s", "op", "ab" + control))
        .isInstanceOfSatisfying(
            InvalidIdempotencyKeyException.class,
            e -> {
              assertThat(e.getReason())
                  .isEqualTo(InvalidIdempotencyKeyException.Reason.CONTROL_CHARACTER);
              assertThat(e.getIndex()).isEqualTo(2);
              assertThat(e.getMessage()).doesNotContain("ab").contains("index 2");
            });
  }

  @Test
  void keyAcceptsUnicodeAndPrintableAsciiUpToTheAbsoluteLimit() {
    IdempotencyKey key =
        IdempotencyKey.of("tenant:alice", "create-payment", "ключ 🔑 \"quoted\" ;,=");
    assertThat(key.clientKey()).isEqualTo("ключ 🔑 \"quoted\" ;,=");
    String max = "x".repeat(IdempotencyKey.ABSOLUTE_MAX_LENGTH);
    assertThat(IdempotencyKey.of("s", "op", max).clientKey()).hasSize(1024);
    assertThatThrownBy(() -> IdempotencyKey.of("s", "op", max + "x"))
        .isInstanceOfSatisfying(
            InvalidIdempotencyKeyException.class,
            e -> {
              assertThat(e.getReason()).isEqualTo(InvalidIdempotencyKeyException.Reason.TOO_LONG);
              assertThat(e.getLength()).isEqualTo(1025);
              assertThat(e.getMaxLength()).isEqualTo(1024);
            })
        .hasMessage("Idempotency key clientKey must be at most 1024 characters, but was 1025");
  }

  @Test
  void requireMaxLengthChecksEveryComponent() {
    IdempotencyKey key = IdempotencyKey.of("s".repeat(10), "op", "k");
    assertThat(key.requireMaxLength(10)).isSameAs(key);
    assertThatThrownBy(() -> key.requireMaxLength(9))
        .isInstanceOfSatisfying(
            InvalidIdempotencyKeyException.class,
            e -> assertThat(e.getComponent()).isEqualTo("scope"));
  }

  @Test
  void keyEqualityIsComponentWiseAndToStringHidesTheClientKey() {
    assertThat(IdempotencyKey.of("a", "b", "c")).isEqualTo(IdempotencyKey.of("a", "b", "c"));
    assertThat(IdempotencyKey.of("a", "b", "c")).isNotEqualTo(IdempotencyKey.of("a", "c", "c"));
    assertThat(IdempotencyKey.of("a", "b", "secret-value").toString())
        .doesNotContain("secret-value")
        .contains("12 chars");
  }

  @Test
  void fingerprintPartsHaveUnambiguousBoundaries() {
    assertThat(RequestFingerprint.ofParts("ab", "c"))
        .isNotEqualTo(RequestFingerprint.ofParts("a", "bc"));
    assertThat(RequestFingerprint.ofParts("a", null))
        .isNotEqualTo(RequestFingerprint.ofParts("a", ""));
    assertThat(RequestFingerprint.ofParts("a")).isNotEqualTo(RequestFingerprint.ofParts("a", ""));
    assertThat(RequestFingerprint.ofParts("POST", "/p", "{}"))
        .isEqualTo(RequestFingerprint.ofParts("POST", "/p", "{}"));
  }

  @Test
  void fingerprintIsSha256AndRoundTripsThroughHex() {
    RequestFingerprint fp = RequestFingerprint.sha256("abc");
    assertThat(fp.hex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(RequestFingerprint.fromHex(fp.hex())).isEqualTo(fp);
    assertThat(RequestFingerprint.sha256("abc".getBytes(StandardCharsets.UTF_8))).isEqualTo(fp);
    assertThat(fp.bytes()).hasSize(32);
    assertThatThrownBy(() -> RequestFingerprint.fromHex("abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("64 hex characters");
    assertThatThrownBy(() -> RequestFingerprint.fromHex("z".repeat(64)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RequestFingerprint.sha256((String) null)).hasMessage("canonicalForm");
  }

  @Test
  void storedOutcomeCopiesAndValidates() {
    byte[] body = {1, 2, 3};
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("b", "1");
    meta.put("a", "2");
    StoredOutcome o = StoredOutcome.of(201, meta, body);
    body[0] = 9;
    meta.put("c", "3");
    assertThat(o.body()).containsExactly(1, 2, 3);
    o.body()[1] = 9;
    assertThat(o.body()).containsExactly(1, 2, 3);
    assertThat(o.metadata()).containsExactly(Map.entry("b", "1"), Map.entry("a", "2"));
    assertThat(o.sizeInBytes()).isEqualTo(3 + 4);
    assertThat(StoredOutcome.of(200, Map.of("ü", "✓"), new byte[0]).sizeInBytes()).isEqualTo(5);
    assertThatThrownBy(() -> StoredOutcome.of(1000, new byte[0]))
        .hasMessage("status must be in 0..999, but was 1000");
    assertThatThrownBy(() -> StoredOutcome.of(-1, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
    Map<String, String> withNull = new LinkedHashMap<>();
    withNull.put("k", null);
    assertThatThrownBy(() -> StoredOutcome.of(200, withNull, new byte[0]))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("metadata value for k");
  }

  @Test
  void outcomeEncodingRoundTripsAndRejectsCorruption() {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("Content-Type", "application/json");
    meta.put("ключ", "");
    StoredOutcome o = StoredOutcome.of(422, meta, "{\"e\":1}".getBytes(StandardCharsets.UTF_8));
    StoredOutcome decoded = OutcomeEncoding.decode(OutcomeEncoding.encode(o));
    assertThat(decoded).isEqualTo(o);
    assertThat(decoded.metadata().keySet()).containsExactly("Content-Type", "ключ");
    assertThat(OutcomeEncoding.decodeMetadata(OutcomeEncoding.encodeMetadata(meta)))
        .containsExactlyEntriesOf(meta);
    assertThat(OutcomeEncoding.decodeMetadata(OutcomeEncoding.encodeMetadata(Map.of()))).isEmpty();
    byte[] encoded = OutcomeEncoding.encode(o);
    byte[] truncated = java.util.Arrays.copyOf(encoded, encoded.length - 1);
    assertThatThrownBy(() -> OutcomeEncoding.decode(truncated))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OutcomeEncoding.decode(new byte[] {7}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void configDefaults() {
    IdempotencyConfig c = IdempotencyConfig.ofDefaults();
    assertThat(c.getLeaseDuration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.getRetention()).isEqualTo(Duration.ofHours(24));
    assertThat(c.getLeaseRenewalInterval()).contains(Duration.ofSeconds(10));
    assertThat(c.getConcurrencyMode()).isEqualTo(ConcurrencyMode.REJECT);
    assertThat(c.getOutagePolicy()).isEqualTo(OutagePolicy.FAIL_CLOSED);
    assertThat(c.getMaxKeyLength()).isEqualTo(255);
    assertThat(c.getMaxStoredOutcomeBytes()).isEqualTo(256 * 1024);
  }

  @Test
  void configValidatesEagerlyWithActionableMessages() {
    assertThatThrownBy(() -> IdempotencyConfig.custom().leaseDuration(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leaseDuration must be positive, but was PT0S");
    assertThatThrownBy(() -> IdempotencyConfig.custom().retention(Duration.ofSeconds(-1)))
        .hasMessage("retention must be positive, but was PT-1S");
    assertThatThrownBy(() -> IdempotencyConfig.custom().maxKeyLength(0))
        .hasMessage("maxKeyLength must be in 1..1024, but was 0");
    assertThatThrownBy(() -> IdempotencyConfig.custom().maxKeyLength(1025))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IdempotencyConfig.custom().maxStoredOutcomeBytes(-1))
        .hasMessage("maxStoredOutcomeBytes must be >= 0, but was -1");
    assertThatThrownBy(() -> IdempotencyConfig.custom().waitTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("waitTimeout");
    assertThatThrownBy(
            () ->
                IdempotencyConfig.custom()
                    .leaseDuration(Duration.ofSeconds(5))
                    .leaseRenewalInterval(Duration.ofSeconds(5))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("leaseRenewalInterval (PT5S) must be shorter than leaseDuration (PT5S)");
  }

  @Test
  void configFromCopiesAndRecomputesTheDefaultRenewal() {
    IdempotencyConfig base =
        IdempotencyConfig.custom()
            .leaseDuration(Duration.ofSeconds(9))
            .concurrencyMode(ConcurrencyMode.WAIT)
            .outagePolicy(OutagePolicy.FAIL_OPEN)
            .maxKeyLength(64)
            .build();
    IdempotencyConfig copy =
        IdempotencyConfig.from(base).leaseDuration(Duration.ofSeconds(60)).build();
    assertThat(copy.getConcurrencyMode()).isEqualTo(ConcurrencyMode.WAIT);
    assertThat(copy.getOutagePolicy()).isEqualTo(OutagePolicy.FAIL_OPEN);
    assertThat(copy.getMaxKeyLength()).isEqualTo(64);
    assertThat(copy.getLeaseRenewalInterval()).contains(Duration.ofSeconds(20));
    IdempotencyConfig noRenewal = IdempotencyConfig.custom().disableLeaseRenewal().build();
    assertThat(noRenewal.getLeaseRenewalInterval()).isEmpty();
    assertThat(IdempotencyConfig.from(noRenewal).build().getLeaseRenewalInterval()).isEmpty();
  }

  @Test
  void defaultOutcomePolicyStoresSuccessesAndTerminalClientErrorsOnly() {
    OutcomePolicy p = OutcomePolicy.storeSuccessesAndClientErrors();
    for (int s : new int[] {200, 201, 204, 302, 400, 404, 409, 422}) {
      assertThat(p.shouldStore(StoredOutcome.of(s, new byte[0]))).as("status %d", s).isTrue();
    }
    for (int s : new int[] {408, 425, 429, 500, 502, 503, 504}) {
      assertThat(p.shouldStore(StoredOutcome.of(s, new byte[0]))).as("status %d", s).isFalse();
    }
  }
}
