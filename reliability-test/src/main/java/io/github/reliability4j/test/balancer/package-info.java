/**
 * A TCP load balancer for tests: one local port that spreads each new connection over several real
 * servers, round robin, as a Kubernetes {@code -ro} Service, an HAProxy read frontend or a cloud
 * "reader endpoint" does. Point a replica URL at {@link
 * io.github.reliability4j.test.balancer.TcpBalancer#port()} to test code that must not assume one
 * configured address is one server, and use {@link
 * io.github.reliability4j.test.balancer.TcpBalancer#switchTo(java.util.List)} to replace the server
 * behind that address (a restart from an older clone, a re-seeded replica) without the client
 * seeing a new address.
 */
package io.github.reliability4j.test.balancer;
