package io.github.reliability4j.jdbc.retention;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A dry run of a policy ({@link RetentionRunner#plan()}): what a run started now would remove.
 * Nothing is changed and no lease is taken.
 *
 * @param policy the policy's name
 * @param cut rows with an age before this are eligible
 * @param eligibleRows rows eligible now (age and extra condition)
 * @param estimatedBatches batches at the policy's initial batch size
 * @param oldestEligibleAge age of the oldest eligible row, or empty when none is eligible
 */
public record RetentionPlan(
    String policy,
    Instant cut,
    long eligibleRows,
    long estimatedBatches,
    Optional<Duration> oldestEligibleAge) {}
