#!/usr/bin/env bash
# Builds the benchmarks and runs them with their baselines and peers in one JMH run.
#
#   benchmarks/run.sh quick            # 8-9 minutes on 2 cores (44 forks, then the HTTP harness ~1.5 min)
#   benchmarks/run.sh full             # every parameter, 2 forks, longer iterations (~41 min, then the HTTP harness ~3.5 min)
#   benchmarks/run.sh quick HttpEndpointHarness  # only the end-to-end HTTP harness (group 6)
#   benchmarks/run.sh quick Routing    # only benchmarks matching a regex
#   benchmarks/run.sh smoke            # does every benchmark run? (numbers meaningless)
#   benchmarks/run.sh messaging [records] [rounds]
#                                      # the Kafka listener harness (not JMH; default 20000 5):
#                                      # bare / dedup per record and per batch, records/s and
#                                      # round trips, also in benchmarks/target/jmh/messaging.md
#   benchmarks/run.sh routing-interleaved [all|mariadb|postgres] [rounds] [ops] [warm-up rounds]
#                                      # groups 3/3m without fork-to-fork variance (not JMH; default
#                                      # all 30 2000 10): one cluster per database, rawPool /
#                                      # routingNoToken / routingCoveredToken in rotating order,
#                                      # per-round ratios, CPU and B/op, also in
#                                      # benchmarks/target/jmh/routing-interleaved.md
#
# Output (benchmarks/target/jmh/): results-<mode>.json (JMH), http-<mode>.md, round-trips-<mode>.md and
# report-<mode>.md (machine, round trips per operation, ratio tables, targets met/missed).
# Needs a JDK 17+: PostgreSQL (primary + streaming replica) is embedded and started here. Group 3m
# (MariaDbRoutingOverheadBenchmark) also needs mariadbd; without it that group fails, the rest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-quick}
include=${2:-}
case "$mode" in
  smoke|quick|full|messaging|routing-interleaved) ;;
  *) echo "usage: benchmarks/run.sh smoke|quick|full [include-regex] | messaging [records] [rounds] | routing-interleaved [all|mariadb|postgres] [rounds] [ops] [warm-up]" >&2; exit 2 ;;
esac
./mvnw -B -q -pl benchmarks -am -DskipTests package
if [[ "$mode" == messaging ]]; then
  mkdir -p benchmarks/target/jmh
  { echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
    java -cp benchmarks/target/benchmarks.jar \
      io.github.reliability4j.benchmarks.messaging.KafkaListenerHarness "${2:-20000}" "${3:-5}"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  } | tee benchmarks/target/jmh/messaging.md
  exit 0
fi
if [[ "$mode" == routing-interleaved ]]; then
  mkdir -p benchmarks/target/jmh
  java -cp benchmarks/target/benchmarks.jar \
    io.github.reliability4j.benchmarks.routing.RoutingInterleavedHarness \
    "${2:-all}" "${3:-30}" "${4:-2000}" "${5:-10}" | tee benchmarks/target/jmh/routing-interleaved.md
  exit 0
fi
args=("$mode" benchmarks/target/jmh)
if [[ -n "$include" ]]; then args+=("$include"); fi
exec java -cp benchmarks/target/benchmarks.jar \
  io.github.reliability4j.benchmarks.support.BenchmarkMain "${args[@]}"
