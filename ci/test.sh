#!/usr/bin/env bash
# Runs the whole test suite on this machine, installing what is missing first, then checks
# that no network namespace of the project survived the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup-host.sh
mvn -B -ntp verify "$@"
if command -v ip >/dev/null && [ "$(id -u)" -eq 0 ]; then
  left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep '^elx' || true)
  if [ -n "$left" ]; then
    echo "test suite left network namespaces behind: $left" >&2
    exit 1
  fi
  echo "no network namespaces left behind"
fi
# The eBPF programs must also pass the verifier of the Vagrant VM's kernel (Debian 12, 6.1).
if [ "$(id -u)" -eq 0 ] && [ "${SKIP_KERNEL_CHECK:-0}" != 1 ]; then
  bash ci/kernel-check.sh
fi
