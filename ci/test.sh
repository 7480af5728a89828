#!/usr/bin/env bash
# Runs the whole test suite on this machine, installing what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup-host.sh
mvn -B -ntp verify "$@"
