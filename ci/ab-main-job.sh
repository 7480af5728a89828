#!/usr/bin/env bash
# A/B of the main job between an earlier revision and the work tree, side by side in one run:
# ci/ab-main-job.sh REV ROUNDS "ARGS n=3" "ARGS n=5" ... Each round runs every argument set
# once per side, the side order alternating per round, so machine noise hits both alike.
# Both sides use the same third-party class path; each its own build of the project's modules.
# Needs root. Output: the main job's tables, prefixed with side, round and argument set.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$1 rounds=$2
shift 2
if [ "$(id -u)" -ne 0 ]; then echo "ab-main-job: needs root" >&2; exit 1; fi
bash ci/setup-host.sh >/dev/null
old=$(mktemp -d /tmp/electrode-ab-XXXX)
trap 'git worktree remove --force "$old" >/dev/null 2>&1 || true' EXIT
git worktree add -q --detach "$old" "$rev"
(cd "$old" && mvn -B -ntp -q -DskipTests package)
mvn -B -ntp -q -DskipTests install
mvn -B -ntp -q -pl testbed dependency:build-classpath -Dmdep.outputFile="$PWD/target/ab-classpath.txt" -Dmdep.includeScope=runtime
third_party=$(tr ':' '\n' < target/ab-classpath.txt | grep -v '/dev/electrode/' | paste -sd: -)
cp_of() { echo "$1/testbed/target/classes:$1/replica/target/classes:$1/bpf/target/classes:$1/netns/target/classes:$third_party"; }
run() { # side dir args
  echo "=== $1 ($(git -C "$2" rev-parse --short HEAD)$([ "$1" = after ] && ! git diff --quiet HEAD && echo +changes)), $3"
  # shellcheck disable=SC2086
  java -XX:+UseSerialGC -Dio.netty.leakDetection.level=disabled -cp "$(cp_of "$2")" dev.electrode.testbed.bench.MainJob $3
}
for r in $(seq 1 "$rounds"); do
  for args in "$@"; do
    if [ $((r % 2)) -eq 1 ]; then run before "$old" "$args"; run after "$PWD" "$args"
    else run after "$PWD" "$args"; run before "$old" "$args"; fi
  done
done
