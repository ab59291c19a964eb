/**
 * Replica routing: consistency levels, read preferences, causal tokens and sessions, lag
 * bookkeeping and the listener SPI. No JDBC here; {@code io.github.reliability4j.jdbc.routing}
 * holds the {@code DataSource}.
 */
package io.github.reliability4j.core.routing;
