#!/usr/bin/env bash
# The project's main job: build (installing what is missing), start a local replica cluster
# (one process per replica, on loopback), drive a closed-loop workload and print throughput
# and latency. Extra arguments go to `electrode local-cluster` (e.g. --replicas 5 --clients 1,16).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup-host.sh >/dev/null
mvn -B -ntp -q -DskipTests package
exec java -jar replica/target/electrode-replica-all.jar local-cluster "$@"
