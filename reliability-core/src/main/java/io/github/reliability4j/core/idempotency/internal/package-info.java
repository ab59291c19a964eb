/** Public for reliability4j's own modules (stores, Spring layer); not API, may change. */
package io.github.reliability4j.core.idempotency.internal;
