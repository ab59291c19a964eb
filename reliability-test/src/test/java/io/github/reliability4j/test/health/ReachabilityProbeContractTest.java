package io.github.reliability4j.test.health;

import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.probes.ReachabilityProbe;
import java.time.Duration;
import java.util.Optional;

/** {@link ReachabilityProbe} over a check that can be made to fail or block. */
class ReachabilityProbeContractTest extends AbstractProbeContract {

  private final BlockingComponent component = new BlockingComponent();

  @Override
  protected Probe probe() {
    return ReachabilityProbe.of(
        timeout -> {
          component.call(timeout);
          return true;
        });
  }

  @Override
  protected void makeHealthy() {
    component.set(BlockingComponent.Mode.HEALTHY);
  }

  @Override
  protected String makeFailing() {
    component.set(BlockingComponent.Mode.FAILING);
    return BlockingComponent.FAILURE;
  }

  @Override
  protected boolean makeHanging() {
    component.set(BlockingComponent.Mode.HANGING);
    return true;
  }

  @Override
  protected boolean blockedInComponent() {
    return component.blocked();
  }

  @Override
  protected Optional<Duration> timeoutGiven() {
    return Optional.ofNullable(component.lastTimeout());
  }
}
