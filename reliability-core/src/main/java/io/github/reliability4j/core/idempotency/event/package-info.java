/** Events published by the idempotency engine and the listener SPI. */
package io.github.reliability4j.core.idempotency.event;
