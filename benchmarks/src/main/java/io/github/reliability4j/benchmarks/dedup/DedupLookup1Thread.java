package io.github.reliability4j.benchmarks.dedup;

import org.openjdk.jmh.annotations.Threads;

/** {@link DedupLookupBenchmark} with one benchmark thread. */
@Threads(1)
public class DedupLookup1Thread extends DedupLookupBenchmark {}
