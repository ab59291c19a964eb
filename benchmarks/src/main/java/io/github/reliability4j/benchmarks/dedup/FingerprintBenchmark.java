package io.github.reliability4j.benchmarks.dedup;

import io.github.reliability4j.core.idempotency.RequestFingerprint;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/*
 * Group 1b: the cost of fingerprinting a request body, next to the floor (one JDK SHA-256 digest of
 * the same bytes). ofParts is what a HTTP integration would call (method, path, body).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Threads(1)
public class FingerprintBenchmark {

  @Param({"1024", "65536"})
  public int bodyBytes;

  private byte[] body;
  private String bodyText;

  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(42);
    StringBuilder sb = new StringBuilder(bodyBytes);
    while (sb.length() < bodyBytes) {
      sb.append((char) ('a' + random.nextInt(26)));
    }
    bodyText = sb.toString();
    body = bodyText.getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  public byte[] jdkSha256() throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256").digest(body);
  }

  @Benchmark
  public RequestFingerprint sha256Bytes() {
    return RequestFingerprint.sha256(body);
  }

  @Benchmark
  public RequestFingerprint ofParts() {
    return RequestFingerprint.ofParts("POST", "/payments", bodyText);
  }
}
