/**
 * Routing engine shared by the JDBC module. Public only so other reliability4j modules can use it;
 * not API, may change without notice.
 */
package io.github.reliability4j.core.routing.internal;
