/**
 * Contract test for {@link io.github.reliability4j.core.health.Probe} implementations: extend
 * {@link io.github.reliability4j.test.health.AbstractProbeContract} with hooks that make the
 * probe's component healthy, failing and (for probes that block) hanging.
 */
package io.github.reliability4j.test.health;
