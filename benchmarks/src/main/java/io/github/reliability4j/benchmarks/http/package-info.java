/**
 * End-to-end HTTP harness: a Spring Boot endpoint that inserts one row, measured bare and with the
 * idempotency annotation on the JDBC store, driven over loopback by an in-JVM client at fixed
 * concurrency (see {@link io.github.reliability4j.benchmarks.http.HttpEndpointHarness}).
 */
package io.github.reliability4j.benchmarks.http;
