package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.core.health.HealthStatus;
import io.github.reliability4j.core.health.Probe;
import io.github.reliability4j.core.health.ProbeContext;
import io.github.reliability4j.core.health.ProbeResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka consumer lag per consumer group, from the Admin API: for each group, the committed offset
 * of each partition against the partition's end offset.
 *
 * <p>Rules per group, first match wins; the probe reports the worst group:
 *
 * <ol>
 *   <li>{@code FAIL} if the group's total lag is at least {@code failLag} (off by default).
 *   <li>{@code WARN} if the total lag is at least {@code warnLag} (default 1000 records), or one
 *       partition's lag is at least {@code warnPartitionLag} (off by default).
 *   <li>{@code WARN} if the group has no active member ("no consumer polling": a consumer that
 *       stops polling for longer than {@code max.poll.interval.ms} leaves the group), or no member
 *       has a partition assigned.
 *   <li>{@code PASS} otherwise.
 * </ol>
 *
 * <p>Observed value: the largest total lag of any group, in records. Details per group: {@code
 * lag}, {@code maxPartitionLag}, {@code maxLagPartition}, {@code partitions}, {@code members}. Each
 * Admin call is bounded by the evaluation's deadline, as the client's request timeout (so no
 * request outlives it) and as the wait for its result, so a broker that is down or silent makes the
 * probe fail (or time out) and an interrupt ends a wait at once. The calls are not given one shared
 * budget: the evaluator's deadline already ends the check, and a shared budget made a healthy check
 * on a loaded machine fail. Lag is measured from committed offsets: records a consumer has
 * processed but not yet committed count as lag. A partition assigned to a member but never
 * committed counts from its earliest offset; one neither committed nor assigned is not counted.
 * Thread-safe if the Admin client is (it is).
 */
public final class KafkaConsumerLagProbe implements Probe {

  private final Supplier<Admin> admin;
  private final Supplier<? extends Collection<String>> groups;
  private final long warnLag;
  private final long failLag;
  private final long warnPartitionLag;

  private KafkaConsumerLagProbe(Builder b) {
    this.admin = b.admin;
    this.groups = b.groups;
    this.warnLag = b.warnLag;
    this.failLag = b.failLag;
    this.warnPartitionLag = b.warnPartitionLag;
  }

  /**
   * @param admin the Admin client to use (not closed by the probe)
   * @param groups the consumer groups to check, read at every evaluation
   */
  public static Builder builder(
      Supplier<Admin> admin, Supplier<? extends Collection<String>> groups) {
    return new Builder(admin, groups);
  }

  private static int asInt(long ms) {
    return (int) Math.min(Integer.MAX_VALUE, ms);
  }

  @Override
  public ProbeResult check(ProbeContext context) throws Exception {
    // Each Admin call is bounded by the deadline twice: as the client's own request timeout (so the
    // request does not outlive it) and as the wait for its result (which an interrupt also ends).
    long timeout = Math.max(1, context.deadline().toMillis());
    Admin client = admin.get();
    List<String> ids = new ArrayList<>(groups.get());
    if (ids.isEmpty()) {
      return ProbeResult.builder(HealthStatus.PASS).output("no consumer groups to check").build();
    }
    Map<String, ConsumerGroupDescription> descriptions =
        client
            .describeConsumerGroups(
                ids, new DescribeConsumerGroupsOptions().timeoutMs(asInt(timeout)))
            .all()
            .get(timeout, TimeUnit.MILLISECONDS);
    HealthStatus worst = HealthStatus.PASS;
    String worstOutput = null;
    long maxGroupLag = 0;
    ProbeResult.Builder result = ProbeResult.builder(HealthStatus.PASS);
    for (String group : ids) {
      ConsumerGroupDescription description = descriptions.get(group);
      Collection<MemberDescription> members =
          description == null ? List.of() : description.members();
      long assigned =
          members.stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
      Map<TopicPartition, OffsetAndMetadata> committed =
          client
              .listConsumerGroupOffsets(
                  group, new ListConsumerGroupOffsetsOptions().timeoutMs(asInt(timeout)))
              .partitionsToOffsetAndMetadata()
              .get(timeout, TimeUnit.MILLISECONDS);
      // Partitions assigned but never committed count from their earliest offset: that is what a
      // consumer with auto.offset.reset=earliest still has to read.
      Set<TopicPartition> partitions = new HashSet<>();
      committed.forEach(
          (tp, offset) -> {
            if (offset != null) {
              partitions.add(tp);
            }
          });
      Set<TopicPartition> uncommitted = new HashSet<>();
      for (MemberDescription member : members) {
        for (TopicPartition tp : member.assignment().topicPartitions()) {
          if (partitions.add(tp)) {
            uncommitted.add(tp);
          }
        }
      }
      Map<TopicPartition, Long> ends = offsets(client, partitions, OffsetSpec.latest(), timeout);
      Map<TopicPartition, Long> starts =
          offsets(client, uncommitted, OffsetSpec.earliest(), timeout);
      long lag = 0;
      long maxPartitionLag = 0;
      TopicPartition maxPartition = null;
      for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
        TopicPartition tp = e.getKey();
        OffsetAndMetadata offset = committed.get(tp);
        long position = offset != null ? offset.offset() : starts.getOrDefault(tp, e.getValue());
        long partitionLag = Math.max(0, e.getValue() - position);
        lag += partitionLag;
        if (partitionLag > maxPartitionLag || maxPartition == null) {
          maxPartitionLag = partitionLag;
          maxPartition = tp;
        }
      }
      HealthStatus status;
      String output;
      if (failLag > 0 && lag >= failLag) {
        status = HealthStatus.FAIL;
        output = "group " + group + " lags " + lag + " records (fail at " + failLag + ")";
      } else if (lag >= warnLag) {
        status = HealthStatus.WARN;
        output = "group " + group + " lags " + lag + " records (warn at " + warnLag + ")";
      } else if (warnPartitionLag > 0 && maxPartitionLag >= warnPartitionLag) {
        status = HealthStatus.WARN;
        output =
            "group " + group + " lags " + maxPartitionLag + " records on partition " + maxPartition;
      } else if (members.isEmpty()) {
        status = HealthStatus.WARN;
        output = "group " + group + " has no active consumer (none polling)";
      } else if (assigned == 0) {
        status = HealthStatus.WARN;
        output = "no consumer of group " + group + " is assigned a partition";
      } else {
        status = HealthStatus.PASS;
        output = null;
      }
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("lag", lag);
      detail.put("maxPartitionLag", maxPartitionLag);
      detail.put("maxLagPartition", maxPartition == null ? null : maxPartition.toString());
      detail.put("partitions", ends.size());
      detail.put("members", members.size());
      detail.put("assignedMembers", assigned);
      result.detail(group, detail);
      maxGroupLag = Math.max(maxGroupLag, lag);
      if (status.isWorseThan(worst)) {
        worst = status;
        worstOutput = output;
      } else if (status == worst && worstOutput == null) {
        worstOutput = output;
      }
    }
    return result.status(worst).observed(maxGroupLag, "records").output(worstOutput).build();
  }

  private static Map<TopicPartition, Long> offsets(
      Admin client, Set<TopicPartition> partitions, OffsetSpec spec, long timeout)
      throws Exception {
    if (partitions.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(tp, spec));
    Map<TopicPartition, Long> result = new HashMap<>();
    client
        .listOffsets(request, new ListOffsetsOptions().timeoutMs(asInt(timeout)))
        .all()
        .get(timeout, TimeUnit.MILLISECONDS)
        .forEach((tp, info) -> result.put(tp, info.offset()));
    return result;
  }

  /** Builder for {@link KafkaConsumerLagProbe}. */
  public static final class Builder {
    private final Supplier<Admin> admin;
    private final Supplier<? extends Collection<String>> groups;
    private long warnLag = 1000;
    private long failLag;
    private long warnPartitionLag;

    private Builder(Supplier<Admin> admin, Supplier<? extends Collection<String>> groups) {
      this.admin = Objects.requireNonNull(admin, "admin");
      this.groups = Objects.requireNonNull(groups, "groups");
    }

    /**
     * Total lag of a group (records) from which the probe warns; default 1000.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder warnLag(long records) {
      this.warnLag = positive("warnLag", records);
      return this;
    }

    /**
     * Total lag of a group (records) from which the probe fails; default off.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder failLag(long records) {
      this.failLag = positive("failLag", records);
      return this;
    }

    /**
     * Lag of a single partition (records) from which the probe warns; default off.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder warnPartitionLag(long records) {
      this.warnPartitionLag = positive("warnPartitionLag", records);
      return this;
    }

    /**
     * @throws IllegalStateException if failLag is set below warnLag
     */
    public KafkaConsumerLagProbe build() {
      if (failLag > 0 && failLag < warnLag) {
        throw new IllegalStateException(
            "failLag (" + failLag + ") must not be below warnLag (" + warnLag + ")");
      }
      return new KafkaConsumerLagProbe(this);
    }

    private static long positive(String name, long value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, but was " + value);
      }
      return value;
    }
  }
}
