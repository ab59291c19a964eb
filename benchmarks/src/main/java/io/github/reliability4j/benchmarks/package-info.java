/** JMH benchmarks. */
package io.github.reliability4j.benchmarks;
