#!/usr/bin/env bash
# The project's main job: build (installing what is missing), create a replica cluster in
# network namespaces, run the same closed-loop workload with plain VR and with Electrode
# (all three offloads), and print the figures side by side. Needs root (namespaces, eBPF).
# Extra arguments go to the job, e.g. --replicas 5 --clients 16 --duration 10.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "main-job: needs root for network namespaces and eBPF (try: sudo bash ci/main-job.sh)" >&2
  exit 1
fi
bash ci/setup-host.sh >/dev/null
mvn -B -ntp -q -DskipTests install
mvn -B -ntp -q -pl testbed dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
exec java -XX:+UseSerialGC -cp "testbed/target/classes:$(cat testbed/target/classpath.txt)" dev.electrode.testbed.bench.MainJob "$@"
