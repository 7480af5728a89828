#!/usr/bin/env bash
# Builds the project (installing what is missing) and runs a main class of the testbed module
# with its runtime class path: ci/run-testbed-main.sh NAME CLASS [ARGS...]. Needs root
# (network namespaces, eBPF); NAME is used in error messages. JAVA_OPTS adds JVM options
# (e.g. JAVA_OPTS="-XX:StartFlightRecording=filename=run.jfr" to profile).
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 class=$2
shift 2
if [ "$(id -u)" -ne 0 ]; then
  echo "$name: needs root for network namespaces and eBPF (try: sudo bash ci/$name.sh)" >&2
  exit 1
fi
bash ci/setup-host.sh >/dev/null
# The container backend (--backend containers): a running engine and the base image; nothing is
# pulled, so Testcontainers' Ryuk and start-up checks are off (the testbed removes what it creates).
if [[ " $* " == *" --backend containers "* ]]; then
  bash ci/docker-engine.sh >/dev/null
  bash ci/container-image.sh >/dev/null
fi
export TESTCONTAINERS_RYUK_DISABLED=${TESTCONTAINERS_RYUK_DISABLED:-true}
export TESTCONTAINERS_CHECKS_DISABLE=${TESTCONTAINERS_CHECKS_DISABLE:-true}
export TESTCONTAINERS_HOST_OVERRIDE=${TESTCONTAINERS_HOST_OVERRIDE:-localhost}
mvn -B -ntp -q -DskipTests install
mvn -B -ntp -q -pl testbed dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
# Netty's leak detector samples buffers with a stack trace each (hundreds a second under load):
# off for measurements; JAVA_OPTS="-Dio.netty.leakDetection.level=simple" turns it back on.
# shellcheck disable=SC2086
exec java -XX:+UseSerialGC -Dio.netty.leakDetection.level=disabled ${JAVA_OPTS:-} -cp "testbed/target/classes:$(cat testbed/target/classpath.txt)" "$class" "$@"
