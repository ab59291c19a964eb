package io.github.reliability4j.benchmarks.dedup;

import org.openjdk.jmh.annotations.Threads;

/** {@link DedupLookupBenchmark} with two benchmark threads hitting the same structure. */
@Threads(2)
public class DedupLookup2Threads extends DedupLookupBenchmark {}
