#!/usr/bin/env bash
# The benchmark suite: plain VR, each offload alone and all three, for several cluster sizes
# and client counts, with interleaved repetitions and the physical limit of the topology.
# Needs root. Arguments go to the suite, e.g. --replicas 3,5 --clients 1,16 --repetitions 3.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench: needs root for network namespaces and eBPF (try: sudo bash ci/bench.sh)" >&2
  exit 1
fi
bash ci/setup-host.sh >/dev/null
mvn -B -ntp -q -DskipTests install
mvn -B -ntp -q -pl testbed dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
exec java -XX:+UseSerialGC -cp "testbed/target/classes:$(cat testbed/target/classpath.txt)" dev.electrode.testbed.bench.BenchmarkSuite "$@"
