package io.github.reliability4j.core.health;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A probe whose next answer the test sets; counts invocations. */
final class ScriptedProbe implements Probe {
  final AtomicReference<HealthStatus> status = new AtomicReference<>(HealthStatus.PASS);
  final AtomicReference<RuntimeException> toThrow = new AtomicReference<>();
  final AtomicInteger calls = new AtomicInteger();

  ScriptedProbe set(HealthStatus s) {
    status.set(s);
    return this;
  }

  @Override
  public ProbeResult check(ProbeContext context) {
    calls.incrementAndGet();
    RuntimeException e = toThrow.get();
    if (e != null) {
      throw e;
    }
    return ProbeResult.builder(status.get())
        .observed(calls.get(), "calls")
        .output("scripted " + status.get())
        .build();
  }
}
